//! Every word the buyer's page shows, in English and Chinese. The server picks the language
//! from `Accept-Language`; the page's script has its own few words for the verdict.

/// The buyer's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    /// The language the browser prefers most among those the page speaks; English otherwise.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best = (Lang::En, -1.0f32);
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("zh") => Lang::Zh,
                Some("en") => Lang::En,
                _ => continue,
            };
            if q > best.1 {
                best = (lang, q);
            }
        }
        best.0
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// Record text as the page shows it: on the Chinese page, text it recognises (a season, a cut,
    /// a disease a vaccine is for, a lab result) in Chinese first, the signed text after it in
    /// brackets; anything else, and everything on the English page, as signed.
    pub fn gloss(self, kind: Gloss, text: &str) -> String {
        if self == Lang::En {
            return text.to_owned();
        }
        let lower = text.trim().to_lowercase();
        let exact = |table: &[(&str, &'static str)]| {
            table.iter().find(|(en, _)| *en == lower).map(|(_, zh)| (*zh).to_owned())
        };
        let zh = match kind {
            Gloss::Cut => exact(CUTS_ZH),
            Gloss::Result => exact(RESULTS_ZH),
            Gloss::Vaccine => DISEASES_ZH
                .iter()
                .find(|(en, _)| lower.contains(en))
                .map(|(_, zh)| if lower.contains("vaccin") { format!("{zh}疫苗") } else { (*zh).to_owned() }),
            Gloss::Season => {
                let words: Vec<&str> = lower.split_whitespace().collect();
                let season = |w: &str| SEASONS_ZH.iter().find(|(en, _)| *en == w).map(|(_, zh)| *zh);
                match words.as_slice() {
                    [year, s] | [s, year] if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) => {
                        season(s).map(|zh| format!("{year} 年{zh}"))
                    }
                    [s] => season(s).map(str::to_owned),
                    _ => None,
                }
            }
        };
        match zh {
            Some(zh) => format!("{zh}（{}）", text.trim()),
            None => text.to_owned(),
        }
    }

    pub fn words(self) -> &'static Words {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }
}

/// Replaces each `{name}` in `template` by its value, in one pass: a value is never read as a
/// template itself, and a blank with no value is left as it is.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            values.iter().find(|(name, _)| *name == &after[..close]).map(|(_, v)| (close, v))
        });
        match value {
            Some((close, v)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The page's words. Templates name their blanks: `{garden}`, `{party}`.
pub struct Words {
    /// The language these words are in.
    pub lang: Lang,
    pub cattle: &'static str,
    pub carcass: &'static str,
    pub cut: &'static str,
    pub maocha: &'static str,
    pub cake: &'static str,
    pub lot: &'static str,
    pub garden_cap: &'static str,
    pub cap: &'static str,
    pub cap_line: &'static str,
    pub ledger_figure: &'static str,
    pub not_found_title: &'static str,
    pub not_found: &'static str,
    pub bad_code_title: &'static str,
    pub bad_code: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable: &'static str,
    pub code_scanned: &'static str,
    pub description: &'static str,
    pub checking: &'static str,
    pub no_script: &'static str,
    pub origin: &'static str,
    pub mountain: &'static str,
    pub harvest: &'static str,
    pub pressed: &'static str,
    pub holding: &'static str,
    pub born: &'static str,
    pub breed: &'static str,
    pub quantity: &'static str,
    pub status: &'static str,
    pub owner: &'static str,
    pub custodian: &'static str,
    pub registered_by: &'static str,
    pub pledge: &'static str,
    pub no_pledge: &'static str,
    pub pledged_with_lot: &'static str,
    pub active: &'static str,
    pub pledged: &'static str,
    pub contained: &'static str,
    pub consumed: &'static str,
    pub retired: &'static str,
    pub lineage: &'static str,
    pub this_item: &'static str,
    pub certificates: &'static str,
    pub no_certificates: &'static str,
    pub certificate: &'static str,
    pub vaccination: &'static str,
    pub withdrawal_over: &'static str,
    pub withdrawal_running: &'static str,
    pub journey: &'static str,
    pub by: &'static str,
    pub registered: &'static str,
    pub weighed: &'static str,
    pub moved: &'static str,
    pub picked: &'static str,
    pub pressing: &'static str,
    pub stored: &'static str,
    pub note: &'static str,
    pub sold_to: &'static str,
    pub handed_to: &'static str,
    pub split_into: &'static str,
    pub merged: &'static str,
    pub processed: &'static str,
    pub pledged_to: &'static str,
    pub released: &'static str,
    pub left_chain: &'static str,
    pub unpacked: &'static str,
    pub scans: &'static str,
    pub scans_pending: &'static str,
    pub privacy: &'static str,
    pub checked: &'static str,
    pub trust: &'static str,
    pub log_key: &'static str,
    pub absent_trust: &'static str,
    pub signed_records: &'static str,
    pub unknown_party: &'static str,
}

const EN: Words = Words {
    lang: Lang::En,
    cattle: "{breed} cattle, ear tag {tag}",
    carcass: "Beef carcass",
    cut: "Beef: {cut}",
    maocha: "Maocha from {garden}",
    cake: "Pu'er tea cake, {weight} g, {garden}",
    lot: "Lot of Pu'er cakes, {garden}",
    garden_cap: "Cap on {garden}, {season}",
    cap: "Garden cap",
    cap_line: "{garden}: from a garden with a registered cap of {cap} kg for {season}, {issued} kg issued",
    ledger_figure: "(the ledger's figure, not checked on this phone)",
    not_found_title: "Unknown code: this ledger's server knows no item under it",
    not_found: "The ledger's server answers that no record registers an item under this code; the check below \
        proves that on this phone, or says it cannot. Every genuine label issued \
        through this ledger leads to its item's signed records. This item may be a counterfeit, or its label \
        may come from another system: ask the seller where it comes from, and do not take this label as \
        proof of origin.",
    bad_code_title: "Not a valid product code",
    bad_code: "This is not a valid GS1 product code (a digit is wrong or missing). The label may be damaged \
        or fake: ask the seller.",
    unavailable_title: "The records cannot be read just now",
    unavailable: "The ledger could not answer just now. Try again in a few minutes; nothing is wrong with the \
        label for that.",
    code_scanned: "Code scanned",
    description: "Where this item comes from and who handled it, from signed records your phone checks itself.",
    checking: "Checking the records on this phone…",
    no_script: "Scripts are off, so this phone has checked nothing: what follows is the server's account. \
        Turn scripts on to let the phone verify the signatures and proofs itself.",
    origin: "Origin",
    mountain: "Mountain",
    harvest: "Harvest",
    pressed: "Pressed",
    holding: "Holding",
    born: "Born",
    breed: "Breed",
    quantity: "Quantity",
    status: "Status",
    owner: "Owner",
    custodian: "Held by",
    registered_by: "Registered by",
    pledge: "Pledge",
    no_pledge: "not pledged",
    pledged_with_lot: "pledged to {party} with the lot it is packed in",
    active: "in trade",
    pledged: "pledged as collateral to {party}",
    contained: "packed in its lot",
    consumed: "used up (split or processed into other goods)",
    retired: "out of the chain: {reason}",
    lineage: "Where it comes from",
    this_item: "this item",
    certificates: "Certificates and health",
    no_certificates: "No certificate or vaccination recorded.",
    certificate: "Lab certificate {certificate} from {laboratory}: {result}",
    vaccination: "Vaccinated ({vaccine}); withdrawal period until {until}",
    withdrawal_over: "ended before slaughter",
    withdrawal_running: "NOT over at slaughter",
    journey: "Journey",
    by: "by {party}",
    registered: "registered",
    weighed: "weighed: {kg} kg",
    moved: "moved from {from} to {to}",
    picked: "{kg} kg of fresh leaf picked in {garden}",
    pressing: "pressed: {press}",
    stored: "stored: {location}",
    note: "note: {text}",
    sold_to: "sold to {party}",
    handed_to: "handed to {party} for safekeeping",
    split_into: "split into {n} lots",
    merged: "merged from {n} lots",
    processed: "processed: {process}",
    pledged_to: "pledged to {party}",
    released: "pledge released",
    left_chain: "left the chain: {reason}",
    unpacked: "{count} taken out of the lot to be sold alone",
    scans: "Checks of this label",
    scans_pending: "The count of checks appears once this phone has checked the records.",
    privacy: "This page collects nothing about you: no account, no cookie, no address kept. The server \
        counts a check of this label; this phone remembers, for itself, that it was counted. Your region \
        (about 100 km wide, worked out on this phone) is sent only if you tap to add it.",
    checked: "What this phone checked",
    trust: "Your phone recomputes every record's hash, checks its Ed25519 signature and its \
        inclusion proof, and checks that the checkpoint is signed by the log key below. It then \
        checks the ledger's current state against the root the checkpoint commits to: that the \
        newest record of this item and of what it came from is among those shown, and that no \
        station key that signed was revoked before it signed. That key \
        came with this page: compare it with the key the log publishes at \
        /.well-known/terroir-log-key and with what witnesses and mirrors of the log report. A \
        server that lied could also send another key; a matching key is what makes the check \
        independent of this server.",
    log_key: "Log key",
    absent_trust: "The ledger registers every item it issues under its code in a state map whose root \
        each signed checkpoint commits to. Your phone works out from the code it scanned the key an item would \
        be registered under, fetches the map's proof for that key, and checks that it holds nothing, against \
        the root in the checkpoint signed by the log key below; and, when the ledger names witnesses, that \
        enough of them cosigned that checkpoint within the last hour. Compare the key with the one the log \
        publishes at /.well-known/terroir-log-key.",
    signed_records: "All signed records and proofs (JSON)",
    unknown_party: "party {id}",
};

const ZH: Words = Words {
    lang: Lang::Zh,
    cattle: "{breed}牛，耳标 {tag}",
    carcass: "牛胴体",
    cut: "牛肉：{cut}",
    maocha: "{garden}毛茶",
    cake: "普洱茶饼，{weight} 克，{garden}",
    lot: "普洱茶饼批次，{garden}",
    garden_cap: "{garden}{season}限额",
    cap: "茶园限额",
    cap_line: "{garden}：茶园{season}登记限额 {cap} 公斤，已登记 {issued} 公斤",
    ledger_figure: "（账本数据，本机未核验）",
    not_found_title: "未知编码：本账本服务器查无此货品",
    not_found: "本账本服务器答复：没有任何记录以此编码登记货品；下方的核验会在本机证明这一点，或说明无法证明。凡经本账本签发的正品标签，都能查到其货品的签名记录。\
        此货品可能是假冒品，或其标签来自其他系统：请向卖家询问来源，不要把此标签当作产地证明。",
    bad_code_title: "不是有效的商品编码",
    bad_code: "这不是有效的 GS1 商品编码（有数字错误或缺失）。标签可能已损坏或是伪造的：请向卖家询问。",
    unavailable_title: "暂时无法读取记录",
    unavailable: "账本暂时无法应答。请几分钟后再试；这并不说明标签有问题。",
    code_scanned: "所扫描的编码",
    description: "本品的产地与经手方，均来自您的手机亲自核验的签名记录。",
    checking: "正在本机核验记录……",
    no_script: "脚本已关闭，本机尚未核验任何内容：以下为服务器提供的信息。开启脚本后，手机将自行核验签名与证明。",
    origin: "产地",
    mountain: "山头",
    harvest: "采摘季",
    pressed: "压制日期",
    holding: "养殖场",
    born: "出生日期",
    breed: "品种",
    quantity: "数量",
    status: "状态",
    owner: "所有者",
    custodian: "保管方",
    registered_by: "登记方",
    pledge: "质押",
    no_pledge: "未质押",
    pledged_with_lot: "随所在批次质押给 {party}",
    active: "流通中",
    pledged: "已质押给 {party}",
    contained: "装于所属批次中",
    consumed: "已分拆或加工为其他货品",
    retired: "已退出流通：{reason}",
    lineage: "来源",
    this_item: "本品",
    certificates: "证书与检疫",
    no_certificates: "暂无证书或免疫记录。",
    certificate: "检测报告 {certificate}（{laboratory}）：{result}",
    vaccination: "已免疫（{vaccine}），休药期至 {until}",
    withdrawal_over: "屠宰前已结束",
    withdrawal_running: "屠宰时尚未结束",
    journey: "履历",
    by: "记录方：{party}",
    registered: "登记",
    weighed: "称重：{kg} 公斤",
    moved: "运输：{from} → {to}",
    picked: "于{garden}采摘鲜叶 {kg} 公斤",
    pressing: "压制：{press}",
    stored: "仓储：{location}",
    note: "备注：{text}",
    sold_to: "转让给 {party}",
    handed_to: "交由 {party} 保管",
    split_into: "分拆为 {n} 批",
    merged: "由 {n} 批合并",
    processed: "加工：{process}",
    pledged_to: "质押给 {party}",
    released: "解除质押",
    left_chain: "退出流通：{reason}",
    unpacked: "从本批取出 {count} 件单独出售",
    scans: "本标签的核验记录",
    scans_pending: "本机核验完成后显示核验次数。",
    privacy: "本页面不收集您的任何个人信息：无需账号，不使用 Cookie，不保存地址。服务器只记录本标签被核验了一次；\
        本机自行记住已计数。只有在您点按添加时，才会发送您所在的大致地区（约 100 公里范围，由本机算出）。",
    checked: "本机核验了什么",
    trust: "您的手机会重新计算每条记录的哈希，核验其 Ed25519 签名与包含证明，并核验检查点由下方的日志公钥签署；\
        再依检查点承诺的状态根核验账本的当前状态：本品及其来源的最新记录均在所示记录之中，签名的工作站密钥在签名前均未被撤销。\
        该公钥随本页提供：请与日志在 /.well-known/terroir-log-key 公布的公钥以及见证方、镜像报告的公钥比对。\
        不诚实的服务器也可能提供另一把公钥；公钥一致，核验才独立于本服务器。",
    log_key: "日志公钥",
    absent_trust: "账本把其签发的每件货品按编码登记在状态映射中，每个签名检查点都承诺该映射的根。\
        您的手机根据所扫描的编码算出货品应登记的键，获取该键的映射证明，并依下方日志公钥签署的检查点中的根，核验该键下没有任何货品；\
        账本指定了见证方时，还核验足够多的见证方在一小时内联署了该检查点。请将该公钥与日志在 /.well-known/terroir-log-key 公布的公钥比对。",
    signed_records: "全部签名记录与证明（JSON）",
    unknown_party: "参与方 {id}",
};

/// Kinds of record text the Chinese page recognises.
#[derive(Clone, Copy, Debug)]
pub enum Gloss {
    Season,
    Cut,
    Vaccine,
    Result,
}

const SEASONS_ZH: &[(&str, &str)] =
    &[("spring", "春茶"), ("summer", "夏茶"), ("autumn", "秋茶"), ("fall", "秋茶"), ("winter", "冬茶")];

const CUTS_ZH: &[(&str, &str)] = &[
    ("tenderloin", "牛里脊"),
    ("striploin", "西冷"),
    ("ribeye", "肉眼"),
    ("topside", "米龙"),
    ("silverside", "银边三叉"),
    ("brisket", "牛腩"),
    ("chuck", "上脑"),
    ("shin", "牛腱"),
    ("shank", "牛腱"),
    ("rump", "臀腰肉"),
    ("flank", "腹肉"),
    ("short ribs", "牛小排"),
];

const DISEASES_ZH: &[(&str, &str)] = &[
    ("foot-and-mouth disease", "口蹄疫"),
    ("pasteurellosis", "巴氏杆菌病"),
    ("lumpy skin disease", "牛结节性皮肤病"),
    ("anthrax", "炭疽"),
    ("brucellosis", "布鲁氏菌病"),
    ("bovine viral diarrhoea", "牛病毒性腹泻"),
    ("bovine viral diarrhea", "牛病毒性腹泻"),
    ("rabies", "狂犬病"),
];

const RESULTS_ZH: &[(&str, &str)] = &[
    ("compliant", "合格"),
    ("pass", "合格"),
    ("passed", "合格"),
    ("non-compliant", "不合格"),
    ("fail", "不合格"),
    ("failed", "不合格"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_language_wins() {
        assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9,zh;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr-FR,zh-TW;q=0.7,en;q=0.3"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("de"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn blanks_are_filled() {
        assert_eq!(fill(EN.sold_to, &[("party", "Trader")]), "sold to Trader");
        assert_eq!(fill(ZH.moved, &[("from", "A"), ("to", "B")]), "运输：A → B");
        // A value that looks like a blank stays as it was given; unknown blanks and lone braces
        // are left alone.
        assert_eq!(fill("{a} and {b}", &[("a", "{b}"), ("b", "B")]), "{b} and B");
        assert_eq!(fill("{a} {c} {", &[("a", "A")]), "A {c} {");
        assert_eq!(fill("no blanks", &[("a", "A")]), "no blanks");
    }

    #[test]
    fn the_chinese_page_glosses_what_it_knows_and_keeps_the_signed_text() {
        let zh = Lang::Zh;
        assert_eq!(zh.gloss(Gloss::Season, "2026 spring"), "2026 年春茶（2026 spring）");
        assert_eq!(zh.gloss(Gloss::Cut, "striploin"), "西冷（striploin）");
        assert_eq!(
            zh.gloss(Gloss::Vaccine, "foot-and-mouth disease bivalent inactivated vaccine (type O and A)"),
            "口蹄疫疫苗（foot-and-mouth disease bivalent inactivated vaccine (type O and A)）"
        );
        assert_eq!(zh.gloss(Gloss::Result, "compliant"), "合格（compliant）");
        assert_eq!(zh.gloss(Gloss::Cut, "oxtail"), "oxtail", "unknown text stays as signed");
        assert_eq!(Lang::En.gloss(Gloss::Season, "2026 spring"), "2026 spring");
    }
}
