
// ---- Terroir: the buyer's page's Ed25519 check where WebCrypto has none (appended to the
// vendored library above, served as one module). RFC 8032 §5.1.7 with the cofactorless
// equation, as WebCrypto, OpenSSL and the ledger check: S below ℓ, the key a canonical encoding
// of a curve point, and R exactly the encoding of [S]B − [k]A, k = SHA-512(R ‖ A ‖ M) mod ℓ.
// Only the library's point arithmetic is used; its own `verify` is cofactored.
const ELL = 2n ** 252n + 27742317777372353535851937790883648493n;
const littleEndian = (b) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);

/** Whether `sig` is a valid Ed25519 signature of `msg` by `pub` (all `Uint8Array`). */
async function verifyStrict(pub, sig, msg) {
  if (!(pub instanceof Uint8Array) || !(sig instanceof Uint8Array) || pub.length !== 32 || sig.length !== 64) return false;
  const s = littleEndian(sig.subarray(32));
  if (s >= ELL) return false;
  let A;
  try { A = Point.fromBytes(pub, false); } catch { return false; }
  const input = new Uint8Array(64 + msg.length);
  input.set(sig.subarray(0, 32), 0);
  input.set(pub, 32);
  input.set(msg, 64);
  const k = littleEndian(new Uint8Array(await crypto.subtle.digest('SHA-512', input))) % ELL;
  const R = Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k));
  const r = R.toBytes();
  return r.every((x, i) => x === sig[i]);
}

export { verifyStrict };
