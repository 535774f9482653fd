// The buyer's check, run in the phone's browser. It fetches the label's evidence and checks it
// here: each record's hash and Ed25519 signature, each entry's inclusion proof, the checkpoint's
// signature by the log key pinned in the page, each asset's state replayed from the signed
// records, and every line of the page held to them (the claims the page marks: `data-c`,
// `data-p`, `data-r`, `data-asset`). Then it counts this check and shows how often the label was
// checked, warning when the pattern is one a genuine label cannot make, and sums it all up in
// the first screen's card. No build step; where WebCrypto has no Ed25519 it loads the page's
// own Ed25519 module (`ed25519.js`).

const body = document.body;
const $ = (s) => document.querySelector(s);
const zh = /^zh/i.test(navigator.language || document.documentElement.lang);

const T = zh ? {
  ok: '本机已核验：所示记录均经签名并记入日志',
  bad: '警告：本标签的记录未通过核验',
  unchecked: '本机无法核验此标签',
  noCrypto: '此页面未通过 HTTPS 打开，浏览器不提供密码学功能，未核验任何内容。',
  noEd: '此浏览器不支持 Ed25519 签名核验，且无法载入本页自带的核验程序，未核验任何内容。',
  byPage: '此浏览器的 WebCrypto 不支持 Ed25519：签名由本页自带的核验程序（noble-ed25519，按 RFC 8032 严格核验）在本机核验',
  fetch: '无法获取待核验的记录（网络问题），未核验任何内容。',
  busy: (s) => `账本正忙于应答大量扫码，${s} 秒后重试……`,
  busyGaveUp: '账本过于繁忙，未能发来待核验的记录，未核验任何内容。请一分钟后再扫码。',
  sigs: (n) => `${n} 条记录的哈希与 Ed25519 签名`,
  proofs: (n, s, r) => `${n} 个包含证明，指向大小为 ${s}、根为 ${r} 的检查点`,
  cp: (k) => `检查点由日志公钥 ${k} 签署`,
  state: (n) => `本品及其来源的 ${n} 件货品的品名、产地、数量、所有者、保管方与状态均由签名记录重新计算得出`,
  lines: (n) => `页面上 ${n} 行记录均对应已核验的签名记录`,
  badSig: (i) => `记录 #${i}：签名不符，记录已被改动`,
  badProof: (i) => `记录 #${i}：包含证明无法导出检查点的根`,
  badCp: (k) => `检查点并非由日志公钥 ${k} 签署`,
  badDevice: (i) => `记录 #${i}：签名密钥未见授权记录`,
  badState: (f) => `页面显示的${f}与签名记录不符`,
  badLine: (i) => (i === null ? '页面列出一条未获证明的记录' : `页面列出记录 #${i}，但它与本品及其来源无关`),
  badFact: (t) => `“${t}”与签名记录不符`,
  badName: (shown, signed) => (signed ? `名称“${shown}”与其签名登记不符（登记为“${signed}”）` : `名称“${shown}”没有签名登记`),
  badLink: '本标签的编码与签名记录中本品的编码不符',
  scanned: (p) => `所扫描的编码：${p}`,
  gap: '本品或其来源货品的记录有缺失',
  signed: (v) => `签名记录为：${v}`,
  facts: (n) => `页面上 ${n} 项信息与名称均与签名记录相符`,
  server: '茶园限额的已登记量为账本数据，本机未核验',
  current: (n, s) => `本品及其来源的 ${n} 件货品的最新记录即为所示记录，签名的工作站密钥在签名前均未被撤销：状态证明指向大小为 ${s} 的检查点`,
  notCurrent: '检查点未承诺当前状态：无法证明是否存在更新的记录（如出售、质押或召回）',
  withheld: (i) => `本品或其来源货品存在一条本页未显示的更新记录（#${i}）`,
  notHead: (i) => `账本中本品的当前记录（#${i}）不在所示记录之中`,
  noState: '账本中本品的当前状态未获证明',
  revoked: (i, r) => `记录 #${i} 由一把在其之前（记录 #${r}）已被撤销的工作站密钥签署`,
  noDevice: (i) => `记录 #${i}：其工作站密钥的当前状态未获证明`,
  badIdentity: '账本未证明此编码当前对应本品',
  dated: '记录属实，但未证明为最新',
  absent: '已证明：本账本从未签发此编码',
  absentDated: '本账本当时未签发此编码，但未证明这是其最新状态',
  absentHeld: '警告：账本服务器隐瞒了以此编码登记的货品',
  absentCheckFailed: '警告：服务器关于此编码从未签发的证明不成立',
  absentLine: (s) => `依对大小为 ${s} 的检查点的状态映射证明，账本状态映射中没有以此编码登记的货品`,
  absentNoState: '检查点未承诺状态映射：此编码从未签发一事未获证明',
  absentBadProof: '状态映射证明不能导出检查点承诺的根',
  absentHeldLine: (id) => `账本自身的状态映射以此编码登记了货品 ${id}`,
  absentNoCode: '所扫描的编码不是本机能读取的 GS1 数字链接；未核验任何内容。',
  absentTodo: '请勿以此标签作为产地证明：请向卖家询问货品来源，并保存本页截图。',
  witnessed: (list, q) => `见证：${list} 已联署此检查点，满足日志策略的法定数 ${q}`,
  notWitnessed: (list, q) => `见证不足：近一小时内联署的见证方为 ${list || '无'}，策略要求 ${q}：无法证明所有人看到的是同一份日志`,
  noPolicy: '本账本未指定见证方：无法证明所有人看到的是同一份日志',
  ago: (n, m) => `${n}（${m} 分钟前）`,
  fields: { product: '品名', quantity: '数量', gs1: '标签', owner: '所有者', custodian: '保管方', status: '状态', head: '最新记录', parents: '来源', id: '编号' },
  record: (i) => `签名记录 #${i}`,
  scans: (n, a, b) => `本标签共被核验 ${n} 次：首次 ${a}，最近 ${b}。`,
  first: '这是本标签的首次核验。',
  clone: '警告：本标签可能是复制品',
  afterEnd: (s) => `本品已退出流通（售出或用完）后，本标签又被核验 ${s.late} 次，正品很少如此。`,
  regions: (s) => `本标签在 ${s.areas} 个相距遥远的地区被核验，一件正品最多到达 ${s.allowed} 个。`,
  tooOften: (s) => `本标签被核验 ${s.count} 次，正品最多约 ${s.allowed} 次。`,
  share: '添加我所在的地区（约 100 公里范围，在本机计算）',
  shared: (r) => `已添加地区 ${r}。`,
  genuine: '正品：本品的记录已在本机核验无误',
  failed: '核验未通过：本页所示信息与签名记录不符',
  copy: '注意：本标签可能是复制品',
  firstCheck: '这是本标签的首次查询。',
  checkedSince: (n, a) => `本标签已被查询 ${n} 次，首次查询于 ${a}。`,
  todoFailed: '请勿凭此标签判断真伪：向卖家询问货品来源，并保留本页截图作为凭证。',
  todoCopy: '同一标签在别处或售出后被多次查询。请向卖家询问货品来源；若有疑问，请勿购买，并保留本页截图。',
  report: '向账本运营方举报此标签',
  reported: '已举报：账本运营方会连同本标签的查询记录一并看到。',
  units: { piece: '件', gram: '克', head: '头' },
  states: { active: '流通中', pledged: '已质押给', contained: '装于批次中', consumed: '已分拆或加工', retired: '已退出流通：' },
  kinds: { live_cattle: '活牛', carcass: '牛胴体', beef_cut: '牛肉', tea_maocha: '毛茶', tea_cake: '普洱茶饼', tea_lot: '普洱茶饼批次', tea_garden: '茶园限额', generic: '货品' },
} : {
  ok: 'Checked on this phone: every record shown is signed and in the log',
  bad: 'Warning: this label’s records do not check out',
  unchecked: 'This phone could not check this label',
  noCrypto: 'This page was not opened over HTTPS, so the browser offers no cryptography; nothing was checked.',
  noEd: 'This browser cannot check Ed25519 signatures and could not load the page’s own verifier; nothing was checked.',
  byPage: 'this browser’s WebCrypto has no Ed25519: the page’s own verifier (noble-ed25519, strict RFC 8032) checked the signatures on this phone',
  fetch: 'The records to check could not be fetched (network); nothing was checked.',
  busy: (s) => `The ledger is busy answering many scans; asking again in ${s} s…`,
  busyGaveUp: 'The ledger was too busy to send the records to check; nothing was checked. Scan again in a minute.',
  sigs: (n) => `${n} records: hash and Ed25519 signature`,
  proofs: (n, s, r) => `${n} inclusion proofs against the checkpoint of size ${s}, root ${r}`,
  cp: (k) => `the checkpoint is signed by the log key ${k}`,
  state: (n) => `product, origin, quantity, owner, holder and status of this item and the ${n} goods it came from, recomputed from the signed records`,
  lines: (n) => `all ${n} lines of the page name a checked record`,
  badSig: (i) => `record #${i}: the signature does not match; the record was changed`,
  badProof: (i) => `record #${i}: its inclusion proof does not lead to the checkpoint’s root`,
  badCp: (k) => `the checkpoint is not signed by the log key ${k}`,
  badDevice: (i) => `record #${i}: signed by a station key no record authorises`,
  badState: (f) => `the ${f} shown is not what the signed records give`,
  badLine: (i) => (i === null ? 'the page lists a record nothing proves' : `the page lists record #${i}, which does not concern this item or the goods it came from`),
  badFact: (t) => `“${t}” is not what the signed records give`,
  badName: (shown, signed) => (signed ? `the name “${shown}” is not the one its signed registration gives (“${signed}”)` : `the name “${shown}” has no signed registration`),
  badLink: 'this label’s code is not the one the signed records give this item',
  scanned: (p) => `code scanned: ${p}`,
  gap: 'a record of this item’s history, or of the goods it came from, is missing',
  signed: (v) => `signed records: ${v}`,
  facts: (n) => `all ${n} facts and names on the page match the signed records`,
  server: 'the garden cap’s issued total is the ledger’s figure, not checked on this phone',
  current: (n, s) => `the latest record of this item and of the ${n} goods it came from is the one shown, and no station key that signed was revoked before it signed: state map proofs against the checkpoint of size ${s}`,
  notCurrent: 'the checkpoint commits to no current state: whether a newer record exists (a sale, a pledge, a recall) is not proven',
  withheld: (i) => `a newer record of this item or of the goods it came from exists (#${i}) that this page was not shown`,
  notHead: (i) => `the ledger’s current record of this item (#${i}) is not among those shown`,
  noState: 'the ledger’s current state of this item is not proven',
  revoked: (i, r) => `record #${i} was signed by a station key revoked at record #${r}, before it`,
  noDevice: (i) => `record #${i}: the ledger’s standing of its station key is not proven`,
  badIdentity: 'the ledger does not prove that this code names this item now',
  dated: 'Genuine records, but not proven to be the latest',
  absent: 'Proven: this ledger never issued this code',
  absentDated: 'This ledger had not issued this code, but that is not proven to be its latest state',
  absentHeld: 'Warning: the ledger’s server hides an item it registered under this code',
  absentCheckFailed: 'Warning: the server’s proof that this code was never issued does not hold',
  absentLine: (s) => `no item is registered under this code in the ledger’s state map at its checkpoint of size ${s}, as the state map proof against that checkpoint shows`,
  absentNoState: 'the checkpoint commits to no state map: that this code was never issued is not proven',
  absentBadProof: 'the state map proof does not lead to the root the checkpoint commits to',
  absentHeldLine: (id) => `the ledger’s own state map registers item ${id} under this code`,
  absentNoCode: 'The code scanned is not a GS1 Digital Link this phone can read; nothing was checked.',
  absentTodo: 'Do not take this label as proof of origin: ask the seller where the item comes from, and keep a screenshot of this page.',
  witnessed: (list, q) => `witnessed: ${list} cosigned this checkpoint, which meets the quorum ${q} of the log’s policy`,
  notWitnessed: (list, q) => `not witnessed enough: ${list || 'no witness'} vouched within the last hour, the policy needs ${q}: that everyone is shown this same log is not proven`,
  noPolicy: 'this ledger names no witnesses: that everyone is shown this same log is not proven',
  ago: (n, m) => `${n} (${m} min ago)`,
  fields: { product: 'product', quantity: 'quantity', gs1: 'label', owner: 'owner', custodian: 'holder', status: 'status', head: 'latest record', parents: 'origin', id: 'identity' },
  record: (i) => `signed record #${i}`,
  scans: (n, a, b) => `This label was checked ${n} times: first ${a}, last ${b}.`,
  first: 'This is the first check of this label.',
  clone: 'Warning: this label may be a copy',
  afterEnd: (s) => `It was checked ${s.late} times after the item left the chain (sold or used up); a genuine label rarely is.`,
  regions: (s) => `It was checked in ${s.areas} areas far apart; one genuine item reaches ${s.allowed} at most.`,
  tooOften: (s) => `It was checked ${s.count} times; a genuine one about ${s.allowed} times at most.`,
  share: 'Add my region (about 100 km, worked out on this phone)',
  shared: (r) => `Region ${r} added.`,
  genuine: 'Genuine: its records check out on this phone',
  failed: 'Check failed: this page shows what the signed records do not',
  copy: 'Careful: this label may be a copy',
  firstCheck: 'This is the first check of this label.',
  checkedSince: (n, a) => `This label was checked ${n} times, first on ${a}.`,
  todoFailed: 'Do not rely on this label: ask the seller where the item comes from, and keep a screenshot of this page.',
  todoCopy: 'The same label was checked elsewhere or after it was sold. Ask the seller where the item comes from; if in doubt, do not buy it, and keep a screenshot of this page.',
  report: 'Report this label to the ledger’s operator',
  reported: 'Reported: the ledger’s operator sees it with this label’s checks.',
  units: { piece: 'piece(s)', gram: 'g', head: 'head' },
  states: { active: 'in trade', pledged: 'pledged to', contained: 'packed in a lot', consumed: 'used up', retired: 'out of the chain:' },
  kinds: { live_cattle: 'live cattle', carcass: 'carcass', beef_cut: 'beef', tea_maocha: 'maocha', tea_cake: 'tea cake', tea_lot: 'lot of tea cakes', tea_garden: 'garden cap', generic: 'goods' },
};

const enc = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, x) => x.toString(16).padStart(2, '0'));
const hex = (b) => { let s = ''; for (const x of b) s += HEX[x]; return s; };
const unhex = (s) => {
  if (typeof s !== 'string' || !/^([0-9a-f]{2})*$/.test(s)) throw new Error('not hex');
  return Uint8Array.from(s.match(/../g) || [], (h) => parseInt(h, 16));
};
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const cat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) { out.set(p, i); i += p.length; }
  return out;
};
const sha = async (...parts) => new Uint8Array(await crypto.subtle.digest('SHA-256', cat(...parts)));
// SHA-256 (FIPS 180-4) without awaiting: a Merkle path is folded hash by hash, and awaiting
// WebCrypto for each costs a slow phone a tenth of a millisecond per hash.
const K256 = Uint32Array.from('428a2f98 71374491 b5c0fbcf e9b5dba5 3956c25b 59f111f1 923f82a4 ab1c5ed5 d807aa98 12835b01 243185be 550c7dc3 72be5d74 80deb1fe 9bdc06a7 c19bf174 e49b69c1 efbe4786 0fc19dc6 240ca1cc 2de92c6f 4a7484aa 5cb0a9dc 76f988da 983e5152 a831c66d b00327c8 bf597fc7 c6e00bf3 d5a79147 06ca6351 14292967 27b70a85 2e1b2138 4d2c6dfc 53380d13 650a7354 766a0abb 81c2c92e 92722c85 a2bfe8a1 a81a664b c24b8b70 c76c51a3 d192e819 d6990624 f40e3585 106aa070 19a4c116 1e376c08 2748774c 34b0bcb5 391c0cb3 4ed8aa4a 5b9cca4f 682e6ff3 748f82ee 78a5636f 84c87814 8cc70208 90befffa a4506ceb bef9a3f7 c67178f2'.split(' '), (x) => parseInt(x, 16));
const W256 = new Uint32Array(64);
function sha256(msg) {
  const len = msg.length, blocks = (len + 72) >> 6, w = W256, h = Uint32Array.of(
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);
  const m = new Uint8Array(blocks * 64);
  m.set(msg); m[len] = 0x80;
  const dv = new DataView(m.buffer);
  dv.setUint32(m.length - 8, Math.floor(len / 0x20000000)); dv.setUint32(m.length - 4, len << 3);
  const r = (x, n) => (x >>> n) | (x << (32 - n));
  for (let b = 0; b < m.length; b += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(b + 4 * i);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15], c = w[i - 2];
      w[i] = (w[i - 16] + (r(a, 7) ^ r(a, 18) ^ (a >>> 3)) + w[i - 7] + (r(c, 17) ^ r(c, 19) ^ (c >>> 10))) | 0;
    }
    let [A, B, C, D, E, F, G, H] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (H + (r(E, 6) ^ r(E, 11) ^ r(E, 25)) + ((E & F) ^ (~E & G)) + K256[i] + w[i]) | 0;
      const t2 = ((r(A, 2) ^ r(A, 13) ^ r(A, 22)) + ((A & B) ^ (A & C) ^ (B & C))) | 0;
      H = G; G = F; F = E; E = (D + t1) | 0; D = C; C = B; B = A; A = (t1 + t2) | 0;
    }
    h[0] += A; h[1] += B; h[2] += C; h[3] += D; h[4] += E; h[5] += F; h[6] += G; h[7] += H;
  }
  const out = new Uint8Array(32), ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(4 * i, h[i]);
  return out;
}
const hash = (...parts) => sha256(cat(...parts));
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// RFC 8785. Records hold only strings, integers, arrays and objects: JSON.stringify writes
// strings and integers as JCS does, and the default sort orders keys by UTF-16 code units.
const jcs = (v) => Array.isArray(v) ? `[${v.map(jcs).join(',')}]`
  : v !== null && typeof v === 'object'
    ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs(v[k])}`).join(',')}}`
    : JSON.stringify(v);

// Ed25519 by the browser's WebCrypto or, where it has none, by the page's own module (the same
// strict RFC 8032 check; see ed25519.js).
const edKey = (raw) => crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
let edModule = null;
async function edEngine(pub) {
  try { await edKey(pub); return 'webcrypto'; } catch { /* no Ed25519 in this WebCrypto */ }
  try { edModule = await import(body.dataset.ed); return 'page'; } catch { return null; }
}
const ed25519 = async (pub, sig, msg) => {
  if (edModule) return edModule.verifyStrict(pub, sig, msg);
  try { return await crypto.subtle.verify({ name: 'Ed25519' }, await edKey(pub), sig, msg); } catch { return false; }
};

// RFC 9162 §2.1.3.2: does `path` lead from leaf `index` of a tree of `size` leaves to `root`?
async function included(index, size, leaf, path, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hash(Uint8Array.of(1), p, r);
      while (fn % 2 === 0 && fn !== 0) { fn /= 2; sn = Math.floor(sn / 2); }
    } else {
      r = hash(Uint8Array.of(1), r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && same(r, root);
}

// The state map (docs/records.md, "State map"): a Jellyfish Merkle tree over SHA-256. A key
// of kind 1 (asset), 2 (identity) or 3 (device) is hashed with the map's domain; a proof is a
// flag and leaf, a sibling count, a bitmap of empty siblings and the others' hashes, folded
// from the bottom along the key's bits.
const MAP_KEY = enc.encode('terroir-state-v1\n');
const EMPTY = enc.encode('SPARSE_MERKLE_PLACEHOLDER_HASH__');
const LEAF_TAG = enc.encode('JMT::LeafNode'), NODE_TAG = enc.encode('JMT::IntrnalNode');
const mapKey = (kind, key) => hash(MAP_KEY, Uint8Array.of(kind), kind === 2 ? enc.encode(key) : unhex(key));
const bit = (k, i) => (k[i >> 3] >> (7 - (i & 7))) & 1;
// Does `key` hold `value` (null: nothing) in the map whose root is `root`, as `proof` shows?
function inMap(proof, key, value, root) {
  let p, at = 0;
  try { p = b64(proof); } catch { return false; }
  const take = (n) => { if (at + n > p.length) throw new Error('short'); at += n; return p.subarray(at - n, at); };
  try {
    const flag = take(1)[0];
    if (flag > 1) return false;
    const leaf = flag ? { key: take(32), value: take(32) } : null;
    const [hi, lo] = take(2);
    const n = hi * 256 + lo;
    if (n > 256) return false;
    const bitmap = take((n + 7) >> 3);
    const siblings = [];
    for (let i = 0; i < n; i++) siblings.push(bitmap[i >> 3] & (0x80 >> (i & 7)) ? EMPTY : take(32));
    if (at !== p.length) return false;
    if (value) {
      if (!leaf || !same(leaf.key, key) || !same(leaf.value, hash(value))) return false;
    } else if (leaf) {
      // Another key's leaf: this key would fall in the subtree that leaf is alone in.
      let common = 0;
      while (common < 256 && bit(key, common) === bit(leaf.key, common)) common++;
      if (common >= 256 || common < n) return false;
    }
    let node = leaf ? hash(LEAF_TAG, leaf.key, leaf.value) : EMPTY;
    for (let i = 0; i < n; i++) node = bit(key, n - 1 - i) ? hash(NODE_TAG, siblings[i], node) : hash(NODE_TAG, node, siblings[i]);
    return same(node, root);
  } catch { return false; }
}
const u64 = (b, at) => b.subarray(at, at + 8).reduce((n, x) => n * 256 + x, 0);
const STATUS = ['active', 'pledged', 'contained', 'consumed', 'retired'];

// C2SP signed-note verifier key: name+hex8(key id)+base64(type ‖ public key); type 0x01 for
// a log's Ed25519 key, 0x04 for a witness's cosignature key.
async function verifierKey(vkey, type = 1) {
  // The name holds no '+', the base64 key may.
  const at = vkey.indexOf('+');
  const [name, id, key] = [vkey.slice(0, at), vkey.slice(at + 1, at + 9), vkey.slice(at + 10)];
  const raw = b64(key);
  const hash = await sha(enc.encode(`${name}\n`), raw);
  if (raw.length !== 33 || raw[0] !== type || hex(hash.slice(0, 4)) !== id) throw new Error('bad key');
  return { name, id: hash.slice(0, 4), pub: raw.slice(1), label: `${name}+${id}` };
}

// The checkpoint, if the note carries a valid signature by `key`.
async function checkpoint(note, key) {
  const cut = note.indexOf('\n\n');
  if (cut < 0) return null;
  const text = note.slice(0, cut + 1);
  for (const line of note.slice(cut + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    const sig = m && m[1] === key.name ? b64(m[2]) : null;
    if (!sig || sig.length !== 68 || !same(sig.slice(0, 4), key.id)) continue;
    if (!(await ed25519(key.pub, sig.slice(4), enc.encode(text)))) return null;
    const [origin, size, root, ...extensions] = text.split('\n');
    // The state map's root, in the checkpoint's one `terroir-state/v1` extension line.
    const lines = extensions.filter((l) => l.startsWith('terroir-state/v1 '));
    let state = null;
    try { state = lines.length === 1 ? b64(lines[0].slice(17)) : null; } catch { state = null; }
    if (lines.length > 1 || (lines.length === 1 && (!state || state.length !== 32))) return null;
    return origin === key.name && /^\d+$/.test(size) ? { size: Number(size), root: b64(root), rootText: root, state } : null;
  }
  return null;
}

// The witnesses that vouched for the checkpoint `note` under the pinned C2SP tlog-policy
// `text` (C2SP tlog-cosignature: `— name base64(key id ‖ time ‖ Ed25519 signature over
// "cosignature/v1\ntime <t>\n" ‖ checkpoint body)`), which are fresh, and whether they meet
// the quorum.
async function witnessed(note, text, maxAge) {
  const witnesses = new Map(), groups = new Map();
  let quorum = null;
  for (const raw of text.split('\n')) {
    const w = raw.split('#')[0].trim().split(/\s+/).filter(Boolean);
    try {
      if (w[0] === 'witness') witnesses.set(w[1], await verifierKey(w[2], 4));
    } catch { /* a key this page cannot read vouches for nothing */ }
    if (w[0] === 'group') groups.set(w[1], { k: w[2], members: w.slice(3) });
    if (w[0] === 'quorum') quorum = w[1];
  }
  const cut = note.indexOf('\n\n');
  const body = note.slice(0, cut + 1), now = Date.now() / 1000;
  const vouched = new Map(), stale = new Map();
  for (const line of note.slice(cut + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    const key = m && [...witnesses].find(([, k]) => k.name === m[1]);
    if (!key) continue;
    let sig;
    try { sig = b64(m[2]); } catch { continue; }
    if (sig.length !== 76 || !same(sig.slice(0, 4), key[1].id)) continue;
    const time = u64(sig, 4);
    if (!(await ed25519(key[1].pub, sig.slice(12), enc.encode(`cosignature/v1\ntime ${time}\n${body}`)))) continue;
    (time <= now + 60 && now - time <= maxAge ? vouched : stale).set(key[0], time);
  }
  const holds = (name, depth) => {
    if (vouched.has(name)) return true;
    const g = groups.get(name);
    if (!g || depth > 64) return false;
    const held = g.members.filter((x) => holds(x, depth + 1)).length;
    return g.k === 'all' ? held === g.members.length : held >= (g.k === 'any' ? 1 : Number(g.k));
  };
  const list = [...vouched].map(([n, t]) => T.ago(n, Math.max(0, Math.round((now - t) / 60)))).join(', ');
  return { quorum, met: quorum !== null && quorum !== 'none' && holds(quorum, 0), list };
}

const actOf = (r) => { const [name] = Object.keys(r.act); return [name, r.act[name]]; };
// What a record names at a head, as `Act::touches` lists it (a garden's cap is named by the tea
// that draws on it).
const named = (name, a) => ({
  observe: a.assets, transfer: a.assets, custody: a.assets, merge: a.assets,
  transform: [...(a.inputs || []), ...(a.allowances || [])], commission: a.allowances,
  split: [a.asset], pledge: [a.asset], release: [a.asset], retire: [a.asset],
  unpack: [a.holder, ...(a.units || [])],
}[name] || []);
const touches = (name, a) => named(name, a).map((x) => x.id);
// The rules the log runs, as its entry 0 names them (version 1 when it opens with anything else).
const rulesOf = (records) => {
  const first = [...records.values()].find((e) => e.index === 0);
  const [name, act] = first ? actOf(first.r) : [];
  return name === 'open_ledger' ? act.rules : 1;
};
const assetId = async (record, n) => hex(await sha(enc.encode('terroir-asset-v1\n'), unhex(record),
  Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255)));

// A record's output `n` as the rules make them: a lot with unit tokens also makes one cake per
// piece, after the listed outputs, with serials 1..amount.
function output(outputs, n) {
  if (n < outputs.length) return outputs[n];
  let first = outputs.length;
  for (const [index, lot] of outputs.entries()) {
    if (!lot.units || lot.product.kind !== 'tea_lot') continue;
    const s = n - first + 1;
    if (s <= lot.quantity.amount) {
      const p = lot.product;
      return {
        product: { kind: 'tea_cake', origin: p.origin, pressedOn: p.pressedOn, weightG: p.cakeWeightG },
        quantity: { amount: 1, unit: 'piece' },
        gs1: `${lot.gs1}/21/${String(s).padStart(lot.units.serialDigits, '0')}`,
        partOf: index,
      };
    }
    first += lot.quantity.amount;
  }
  return undefined;
}

// The asset's state just before entry `before`, replayed from the checked records alone.
async function replay(id, before, shown, records) {
  const a = shown.get(id);
  const c = a && records.get(a.createdBy);
  if (!c || c.index >= before || (await assetId(a.createdBy, a.output)) !== id) return null;
  const [name, act] = actOf(c.r);
  const n = a.output;
  let s;
  if (name === 'commission' || name === 'transform') {
    const o = output(name === 'commission' ? act.assets : act.outputs, n);
    if (!o) return null;
    let custodian = c.r.party;
    const parents = name === 'transform' ? act.inputs.map((i) => i.id) : [];
    if (name === 'transform') {
      const ins = await Promise.all(parents.map((p) => replay(p, c.index, shown, records)));
      if (ins.some((i) => !i)) return null;
      if (ins.every((i) => i.custodian === ins[0].custodian)) custodian = ins[0].custodian;
    }
    const holder = o.partOf === undefined ? null : await assetId(a.createdBy, o.partOf);
    s = {
      product: o.product, quantity: o.quantity, gs1: o.gs1, owner: c.r.party, custodian,
      status: holder ? { state: 'contained', holder } : { state: 'active' }, parents: holder ? [holder] : parents,
    };
  } else if (name === 'split' || name === 'merge') {
    const ids = name === 'split' ? [act.asset.id] : act.assets.map((x) => x.id);
    const ins = await Promise.all(ids.map((p) => replay(p, c.index, shown, records)));
    if (ins.some((i) => !i) || (name === 'split' && !act.parts[n])) return null;
    const amount = name === 'split' ? act.parts[n].amount : ins.reduce((t, i) => t + i.quantity.amount, 0);
    s = {
      product: ins[0].product, quantity: { amount, unit: ins[0].quantity.unit },
      gs1: name === 'split' ? act.parts[n].gs1 : act.gs1, owner: ins[0].owner, custodian: ins[0].custodian,
      status: { state: 'active' }, parents: ids,
    };
  } else return null;
  // Its id derives from this record and position: the record that made it is proven.
  s.createdBy = a.createdBy;
  // The records that changed it, in its own name or its lot's.
  s.applied = new Set([a.createdBy]);
  s.head = a.createdBy;
  // Rules version 2: a unit packed in a lot follows it (owner, holder, retirement, the part a
  // split names for it, the lot a merge makes).
  const follows = rulesOf(records) >= 2;
  for (const e of records.values()) {
    const [kind, x] = actOf(e.r);
    if (e.index <= c.index || e.index >= before) continue;
    const ref = named(kind, x).find((r) => r.id === id);
    const packed = s.status.state === 'contained' && touches(kind, x).includes(s.status.holder);
    if (!ref && !(follows && packed)) continue;
    // Each record names the asset at the head it saw: another head means one was left out.
    if (ref && ref.head !== s.head) s.gap = true;
    if (kind === 'transfer') { if (s.custodian === s.owner) s.custodian = x.to; s.owner = x.to; }
    else if (kind === 'custody') s.custodian = x.to;
    else if (kind === 'retire') s.status = { state: 'retired', reason: x.reason };
    else if (kind === 'unpack') {
      // Only the units it names leave the holder, which counts that many fewer (a cake is one).
      if (!ref) continue;
      if (x.holder.id !== id) s.status = { state: 'active' };
      else if (s.quantity.amount > x.units.length) s.quantity = { ...s.quantity, amount: s.quantity.amount - x.units.length };
      else s.status = { state: 'consumed' };
    }
    else if (ref && kind === 'pledge') s.status = { state: 'pledged', financier: x.financier };
    else if (ref && kind === 'release') s.status = { state: 'active' };
    else if (!ref && kind === 'merge') s.status = { state: 'contained', holder: await assetId(e.id, 0) };
    else if (!ref && kind === 'split') {
      const part = x.parts.findIndex((p) => (p.units || []).some((u) => u.record === a.createdBy && n >= u.first && n < u.first + u.count));
      s.status = part < 0 ? { state: 'consumed' } : { state: 'contained', holder: await assetId(e.id, part) };
    } else if (['split', 'merge', 'transform'].includes(kind)) s.status = { state: 'consumed' };
    else if (!ref) continue;
    s.head = e.id;
    s.applied.add(e.id);
  }
  return s;
}

function show(state, title, lines) {
  $('#v-title').textContent = title;
  const list = $('#v-list');
  list.replaceChildren(...lines.map(([ok, text]) => {
    const li = document.createElement('li');
    li.className = ok === null ? 'info' : ok ? 'ok' : 'bad';
    li.textContent = text;
    return li;
  }));
  // A good verdict keeps its details folded; anything else shows them.
  $('#v-detail').open = state !== 'ok';
  body.dataset.verdict = state;
}

// The pinned log key and a way to check Ed25519 here; null (the page saying why nothing was
// checked) when this browser has neither cryptography nor a verifier.
async function verifier() {
  if (!window.crypto || !crypto.subtle) return show('warn', T.unchecked, [[false, T.noCrypto]]), null;
  const key = await verifierKey(body.dataset.key);
  const engine = await edEngine(key.pub);
  if (!engine) return show('warn', T.unchecked, [[false, T.noEd]]), null;
  return { key, engine };
}

// The JSON at `url`; null (the page saying nothing was checked) when it cannot be fetched. A
// ledger too busy to answer (`503`, a crowd scanning at once) is asked again after the seconds
// its `Retry-After` names, up to BUSY_TRIES times, the page saying that it waits.
const BUSY_TRIES = 5;
async function fetched(url) {
  let busy = false;
  try {
    for (let tries = 1; ; tries += 1) {
      const res = await fetch(url);
      busy = res.status === 503;
      if (busy && tries < BUSY_TRIES) {
        const wait = Math.min(10, Math.max(1, Number(res.headers.get('Retry-After')) || 1));
        $('#s-state').textContent = T.busy(wait);
        body.dataset.busy = tries;
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
        continue;
      }
      if (!res.ok) throw new Error(res.status);
      return await res.json();
    }
  } catch { return show('warn', T.unchecked, [[false, busy ? T.busyGaveUp : T.fetch]]), null; }
}

async function verify() {
  const ready = await verifier();
  if (!ready) return;
  const { key, engine } = ready;
  const ev = await fetched(`/api/assets/${body.dataset.asset}/evidence`);
  if (!ev) return;
  const bad = [];
  const cp = await checkpoint(ev.checkpoint, key);
  if (!cp) bad.push(T.badCp(key.label));
  const records = new Map();
  let signed = 0, proven = 0;
  await Promise.all(ev.entries.map(async ({ entry, proof }) => {
    const r = entry.record.record;
    const bytes = enc.encode(`terroir-record-v1\n${jcs(r)}`);
    const id = hex(await sha(bytes));
    const sigOk = r.origin === key.name && await ed25519(unhex(r.signer), unhex(entry.record.signature), bytes);
    const leaf = await sha(Uint8Array.of(0), enc.encode(jcs(entry)));
    const proofOk = !!cp && await included(entry.index, cp.size, leaf, proof.map(unhex), cp.root);
    if (sigOk) signed++; else bad.push(T.badSig(entry.index));
    if (proofOk) proven++; else if (cp) bad.push(T.badProof(entry.index));
    // A record whose signature holds is what its signer said; its proof is judged apart.
    if (sigOk) records.set(id, { index: entry.index, id, r, leaf, text: jcs(entry.record) });
  }));
  const sorted = new Map([...records].sort((a, b) => a[1].index - b[1].index));
  for (const e of sorted.values()) {
    const { r } = e;
    const ok = r.signer === r.party || [...sorted.values()].some((d) => {
      const [kind, x] = actOf(d.r);
      return kind === 'authorise_device' && x.device === r.signer && d.r.party === r.party && d.index < e.index;
    });
    if (!ok) bad.push(T.badDevice(e.index));
  }
  // The page's asset, its lineage and its lines, against what the records say.
  const shown = new Map(ev.assets.map((a) => [a.id, a]));
  const page = JSON.parse($('#shown').textContent);
  const states = new Map();
  let statesOk = true;
  for (const a of ev.assets) {
    const s = await replay(a.id, Infinity, shown, sorted);
    states.set(a.id, s);
    const claim = a.id === page.id ? page : a;
    const wrong = !s ? ['id'] : ['product', 'quantity', 'gs1', 'owner', 'custodian', 'status', 'head', 'parents']
      .filter((f) => jcs(s[f] ?? null) !== jcs(claim[f] ?? null));
    if (wrong.length) { statesOk = false; bad.push(...wrong.map((f) => T.badState(T.fields[f]))); }
    if (s && s.gap) { statesOk = false; bad.push(T.gap); }
  }
  if (!shown.has(page.id)) { statesOk = false; bad.push(T.badState(T.fields.id)); }
  const stateStart = performance.now();
  const current = cp && cp.state ? currency(ev, cp, states, sorted, bad) : null;
  // How long the state map's proofs took here, and how many (User Timing, for anyone
  // measuring the page).
  performance.measure('terroir:state-proofs', {
    start: stateStart, end: performance.now(), detail: { proofs: (ev.state || []).length },
  });
  const seen = cp ? await vouched(ev.checkpoint) : { checks: [], unproven: [] };
  // What the page's asset is tied to by the records: its parents and the lots it is packed in.
  const reach = new Set();
  for (const queue = [page.id]; queue.length;) {
    const id = queue.shift();
    const s = states.get(id);
    if (!s || reach.has(id)) continue;
    reach.add(id);
    queue.push(...s.parents, ...(s.status.state === 'contained' ? [s.status.holder] : []));
  }
  // A journey line concerns the item when its record names, made or changed (while packed in a
  // lot) the item or goods it is tied to.
  const related = (e) => touches(...actOf(e.r)).some((id) => reach.has(id))
    || [...reach].some((id) => states.get(id).applied.has(e.id));
  // Who the parties are, as their signed registrations say.
  const registered = new Map();
  for (const e of sorted.values()) {
    const [kind, x] = actOf(e.r);
    if (kind === 'register_party') registered.set(x.id, x.name);
  }
  const signedText = (v) => {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'string') return registered.get(v) || v;
    if (v.amount !== undefined) return `${v.amount} ${T.units[v.unit] || v.unit}`;
    if (v.state) return [T.states[v.state] || v.state, registered.get(v.financier) || v.reason || ''].join(' ').trim();
    if (v.kind) return [T.kinds[v.kind] || v.kind, v.cut || v.breed || v.name || (v.origin && v.origin.garden) || ''].join(': ');
    return jcs(v);
  };
  // Marks a failing line and notes beside it what the records give (or what was scanned).
  const mark = (el, note) => {
    el.classList.add('bad');
    el.append(' ', Object.assign(document.createElement('small'), { className: 'signed', textContent: note }));
  };
  let facts = 0, factsOk = true, serverWord = false;
  for (const el of document.querySelectorAll('[data-c]')) {
    if (el.dataset.c === 'server') { serverWord = true; continue; }
    let failed = false, given;
    for (const [kind, id, path, value] of JSON.parse(el.dataset.c)) {
      const from = kind === 'a' ? (reach.has(id) ? states.get(id) : null) : (sorted.get(id) || {}).r;
      const actual = from ? path.split('.').reduce((v, k) => (v == null ? v : v[k]), from) : undefined;
      if (!from || jcs(actual ?? null) !== jcs(value ?? null)) {
        if (!failed) given = actual;
        failed = true;
      }
    }
    if (!failed) { facts++; continue; }
    factsOk = false;
    const dt = el.tagName === 'DD' ? el.previousElementSibling : null;
    if (dt) dt.classList.add('bad');
    mark(el, T.signed(signedText(given)));
    bad.push(T.badFact(dt ? dt.textContent : el.tagName === 'H1' ? T.fields.product : el.textContent));
  }
  for (const el of document.querySelectorAll('[data-p]')) {
    const name = registered.get(el.dataset.p);
    if (name === el.textContent) { facts++; continue; }
    factsOk = false;
    bad.push(T.badName(el.textContent, name));
    mark(el, T.signed(name || '—'));
  }
  // The code scanned is the one the signed records give this item.
  const mine = states.get(page.id);
  const scanned = codeOf(location.pathname);
  if (!mine || !scanned || scanned !== codeOf(mine.gs1 || '')) {
    factsOk = false;
    mark($('#uri'), T.scanned(location.pathname));
    bad.push(T.badLink);
  }
  let lines = 0, linesOk = true;
  for (const li of document.querySelectorAll('li[data-r],li[data-asset]')) {
    const e = li.dataset.r ? sorted.get(li.dataset.r) : null;
    const ok = li.dataset.r ? !!e && related(e) : reach.has(li.dataset.asset);
    li.classList.add(ok ? 'ok' : 'bad');
    if (!ok) { linesOk = false; bad.push(li.dataset.r ? T.badLine(e ? e.index : null) : T.badState(T.fields.parents)); }
    else lines++;
    if (e) {
      const d = document.createElement('details');
      d.innerHTML = '<summary></summary><pre></pre>';
      d.firstChild.textContent = T.record(e.index);
      d.lastChild.textContent = e.text;
      li.append(d);
    }
  }
  const sigsOk = signed === ev.entries.length, proofsOk = !!cp && proven === ev.entries.length;
  // Only what passed is ticked; what failed is listed first.
  const checks = [
    [sigsOk, T.sigs(signed)],
    [proofsOk, cp && T.proofs(proven, cp.size, cp.rootText)],
    [!!cp, T.cp(key.label)],
    [statesOk, T.state(Math.max(0, states.size - 1))],
    [factsOk, T.facts(facts)],
    [linesOk, T.lines(lines)],
  ].filter(([ok]) => ok);
  if (current) checks.push([true, T.current(Math.max(0, states.size - 1), cp.size)]);
  checks.push(...seen.checks);
  // What keeps the page from proving it shows the current state to everyone alike.
  const unproven = [...(current === null ? [T.notCurrent] : []), ...seen.unproven];
  if (engine === 'page') checks.push([null, T.byPage]);
  if (serverWord) checks.push([null, T.server]);
  const found = [...new Set(bad)];
  if (found.length > 8) found.splice(8, found.length - 8, '…');
  if (found.length) show('bad', T.bad, [...found.map((t) => [false, t]), ...checks]);
  else if (unproven.length) show('dated', T.dated, [...unproven.map((t) => [false, t]), ...checks]);
  else show('ok', T.ok, checks);
}

// Whether the checkpoint `note` is the one everyone is shown: the witnesses of the pinned
// policy that vouched for it, as lines that passed, and what keeps that from being proven.
async function vouched(note) {
  const policy = body.dataset.policy || '';
  if (!policy) return { checks: [], unproven: [T.noPolicy] };
  const seen = await witnessed(note, policy, Number(body.dataset.maxAge) || 3600);
  return seen.met
    ? { checks: [[true, T.witnessed(seen.list, seen.quorum)]], unproven: [] }
    : { checks: [], unproven: [T.notWitnessed(seen.list, seen.quorum)] };
}

// The page for a code the server says this ledger never issued: the phone works out, from the
// code it scanned, the key the ledger would have registered an item under, and checks the
// state map's proof that the key holds nothing against the checkpoint's state root.
async function verifyAbsent() {
  const ready = await verifier();
  if (!ready) return;
  const { key, engine } = ready;
  const code = codeOf(location.pathname);
  if (!code) return show('warn', T.unchecked, [[false, T.absentNoCode]]);
  const identity = `gs1:${code}`;
  const answer = await fetched(`/api/state/identity?key=${encodeURIComponent(identity)}`);
  if (!answer) return;
  const cp = await checkpoint(answer.checkpoint, key);
  if (!cp) return show('bad', T.absentCheckFailed, [[false, T.badCp(key.label)]]);
  const signedBy = [true, T.cp(key.label)];
  if (!cp.state) return show('warn', T.unchecked, [[false, T.absentNoState], signedBy]);
  const p = answer.proof || {};
  const value = typeof p.value === 'string' ? unhex(p.value) : null;
  if (p.kind !== 'identity' || p.key !== identity || !inMap(p.proof, mapKey(2, identity), value, cp.state)) {
    return show('bad', T.absentCheckFailed, [[false, T.absentBadProof], signedBy]);
  }
  if (value) return show('bad', T.absentHeld, [[false, T.absentHeldLine(hex(value))], signedBy]);
  const seen = await vouched(answer.checkpoint);
  const checks = [[true, T.absentLine(cp.size)], signedBy, ...seen.checks];
  if (engine === 'page') checks.push([null, T.byPage]);
  if (seen.unproven.length) show('dated', T.absentDated, [...seen.unproven.map((t) => [false, t]), ...checks]);
  else show('absent', T.absent, checks);
}

// Whether what the page shows is the current state, as the state map the checkpoint commits to
// holds it: each asset's latest entry is the head the map names (else one was left out), each
// station key that signed was not revoked before it signed, and the scanned code names this
// item. What fails is added to `bad`.
function currency(ev, cp, states, sorted, bad) {
  const proofs = new Map((ev.state || []).map((p) => [`${p.kind}:${p.key}`, p]));
  // What `key` holds, if its proof holds against the checkpoint: bytes, null (nothing), or
  // undefined (no valid proof).
  const held = (kind, code, key) => {
    const p = proofs.get(`${kind}:${key}`);
    if (!p) return undefined;
    const value = p.value ? unhex(p.value) : null;
    return inMap(p.proof, mapKey(code, key), value, cp.state) ? value : undefined;
  };
  let ok = true;
  const fail = (text) => { ok = false; bad.push(text); };
  for (const a of ev.assets) {
    const s = states.get(a.id);
    if (!s) continue;
    const v = held('asset', 1, a.id);
    if (!v || v.length !== 41) { fail(T.noState); continue; }
    const index = u64(v, 0), head = sorted.get(s.head);
    if (!head || head.index !== index || !same(head.leaf, v.subarray(8, 40))) {
      fail(!head || index > head.index ? T.withheld(index) : T.notHead(index));
    } else if (STATUS[v[40]] !== s.status.state) fail(T.badState(T.fields.status));
  }
  for (const e of sorted.values()) {
    if (e.r.signer === e.r.party) continue;
    const v = held('device', 3, e.r.signer);
    if (!v || v.length !== 41 || hex(v.subarray(0, 32)) !== e.r.party || v[32] > 1) { fail(T.noDevice(e.index)); continue; }
    if (v[32] === 1 && u64(v, 33) < e.index) fail(T.revoked(e.index, u64(v, 33)));
  }
  const page = JSON.parse($('#shown').textContent);
  const mine = states.get(page.id);
  if (mine && mine.gs1) {
    const code = codeOf(mine.gs1);
    const v = code ? held('identity', 2, `gs1:${code}`) : undefined;
    if (!v || hex(v) !== page.id) fail(T.badIdentity);
  }
  return ok;
}

// The canonical form of a GS1 Digital Link path, as the ledger registers items under it
// (`DigitalLink::to_path`): `/01/{GTIN-14}`, then AIs 22, 10 and 21 in that order, values
// percent-encoded but for letters, digits, `-`, `.`, `_` and `~`, hex in upper case. Short
// names, a GTIN-8, -12 or -13, any prefix before `/01/` and percent-encoding read as the
// ledger reads them; anything it would refuse gives null.
const AIS = new Map(Object.entries({ '01': '01', gtin: '01', 22: '22', cpv: '22', 10: '10', lot: '10', 21: '21', ser: '21' }));
const RANK = ['01', '22', '10', '21'];
const CSET82 = /^[A-Za-z0-9!"%&'()*+,\-./:;<=>?_]{1,20}$/;
const pct = (v) => [...enc.encode(v)]
  .map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${HEX[b].toUpperCase()}`)).join('');
function codeOf(path) {
  const seg = path.split('/');
  if (seg.length > 2 && seg[seg.length - 1] === '') seg.pop();
  const at = seg.findIndex((x) => AIS.get(x) === '01');
  if (at < 0 || (at >= 2 && AIS.has(seg[at - 2])) || (seg.length - at) % 2) return null;
  const values = new Map();
  let last = -1;
  for (let i = at; i < seg.length; i += 2) {
    const ai = AIS.get(seg[i]), rank = RANK.indexOf(ai);
    let v;
    try { v = decodeURIComponent(seg[i + 1]); } catch { return null; }
    if (!ai || rank <= last || (ai === '01' ? !/^(\d{8}|\d{12,14})$/.test(v) : !CSET82.test(v))) return null;
    last = rank;
    values.set(ai, ai === '01' ? v.padStart(14, '0') : v);
  }
  return RANK.filter((ai) => values.has(ai)).map((ai) => `/${ai}/${ai === '01' ? values.get(ai) : pct(values.get(ai))}`).join('');
}

const when = (ms) => new Date(ms).toLocaleString(zh ? 'zh-CN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });

function showChecks(c) {
  const p = $('#scan-text');
  p.textContent = c.count <= 1 ? T.first : T.scans(c.count, when(c.firstAt), when(c.lastAt));
  $('#s-checks').textContent = c.count <= 1 ? T.firstCheck : T.checkedSince(c.count, when(c.firstAt));
  const signs = c.signs.map((s) => ({ after_end: T.afterEnd, regions: T.regions, too_often: T.tooOften }[s.sign](s)));
  let box = $('#clone');
  if (signs.length) {
    if (!box) {
      box = Object.assign(document.createElement('section'), { id: 'clone', className: 'v v-bad' });
      $('#summary').after(box);
    }
    box.innerHTML = '<h2></h2><ul></ul>';
    box.firstChild.textContent = T.clone;
    box.lastChild.append(...signs.map((t) => Object.assign(document.createElement('li'), { className: 'bad', textContent: t })));
  }
  body.dataset.clone = signs.length ? 'yes' : 'no';
}

const report = (check) => fetch(`/api/assets/${body.dataset.asset}/scans`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(check),
}).then((r) => (r.ok ? r.json() : null)).then((c) => { if (c) showChecks(c); return c; }).catch(() => null);

// Only a one-degree cell leaves the phone, and only when the buyer asks.
const region = () => new Promise((done) => navigator.geolocation
  ? navigator.geolocation.getCurrentPosition(
    (p) => done(`${Math.floor(p.coords.latitude)},${Math.floor(p.coords.longitude)}`), () => done(null), { timeout: 10000 })
  : done(null));

let checkToken = null;

async function count() {
  const seen = `terroir:checked:${body.dataset.asset}`;
  let again = false;
  try {
    again = localStorage.getItem(seen) === '1';
    localStorage.setItem(seen, '1');
  } catch { /* storage off (private browsing): every visit counts */ }
  const counted = await report({ again });
  // A region or a report counts only with the check it belongs to: this one, if it was counted.
  if (!counted || !counted.token) return;
  checkToken = counted.token;
  const button = Object.assign(document.createElement('button'), { id: 'share-region', textContent: T.share });
  button.onclick = async () => {
    button.disabled = true;
    const r = await region();
    if (r && await report({ region: r, token: counted.token })) button.replaceWith(T.shared(r));
    else button.disabled = false;
  };
  $('#scans').append(button);
}

// The first screen: one state, what the item is, how often its label was checked, and what to
// do when it warns.
function summarise() {
  const state = { bad: 'failed', warn: 'unchecked', dated: 'dated' }[body.dataset.verdict]
    || (body.dataset.clone === 'yes' ? 'copy' : 'genuine');
  $('#summary').className = `card card-${state === 'dated' ? 'unchecked' : state}`;
  $('#s-state').textContent = T[state];
  const todo = $('#s-todo');
  todo.hidden = !(state === 'failed' || state === 'copy');
  todo.textContent = state === 'failed' ? T.todoFailed : state === 'copy' ? T.todoCopy : '';
  if (!todo.hidden && checkToken) {
    const button = Object.assign(document.createElement('button'), { id: 'report', textContent: T.report });
    button.onclick = async () => {
      button.disabled = true;
      if (await report({ report: true, token: checkToken })) {
        button.replaceWith(Object.assign(document.createElement('p'), { textContent: T.reported }));
      } else button.disabled = false;
    };
    todo.after(button);
  }
  body.dataset.summary = state;
}

// The first screen of the page for an unknown code: what the check proved, and what to do.
function summariseAbsent() {
  const verdict = body.dataset.verdict;
  const red = verdict === 'absent' || verdict === 'bad';
  $('#summary').className = `card card-${red ? 'failed' : 'unchecked'}`;
  $('#s-state').textContent = $('#v-title').textContent;
  $('#v-title').hidden = true;
  $('#s-todo').hidden = !red;
  $('#s-todo').textContent = verdict === 'absent' ? T.absentTodo : T.todoFailed;
  body.dataset.summary = verdict;
}

if (body.dataset.absent !== undefined) {
  verifyAbsent().catch((e) => show('bad', T.absentCheckFailed, [[false, String(e)]])).finally(summariseAbsent);
} else {
  verify().catch((e) => show('bad', T.bad, [[false, String(e)]])).finally(() => count().finally(summarise));
}
