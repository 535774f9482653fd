#!/usr/bin/env python3
"""Builds the Ed25519 edge-case corpus in shared/tests/data/ed25519/vectors.json and records
OpenSSL's verdict on each (through pyca/cryptography, which links OpenSSL).

The corpus: the cases of "Taming the many EdDSAs" (Chalkias, Garillot, Nikolaenko, 2020) as
published with ed25519-speccheck, and further cases made here with the curve arithmetic of
RFC 8032 §6: an honest signature, S + ℓ, R with a small-order component of each order (2, 4,
8), a key with such a component, small-order keys, non-canonical encodings of R and A.

    pip install cryptography && python3 scripts/ed25519-verdicts.py
"""
import hashlib
import json
import pathlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.backends.openssl.backend import backend
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

p = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
d = -121665 * pow(121666, p - 2, p) % p
I = pow(2, (p - 1) // 4, p)


def inv(x):
    return pow(x, p - 2, p)


def add(P, Q):
    (x1, y1), (x2, y2) = P, Q
    t = d * x1 * x2 * y1 * y2 % p
    return ((x1 * y2 + x2 * y1) * inv(1 + t) % p, (y1 * y2 + x1 * x2) * inv(1 - t) % p)


def mul(k, P):
    Q = (0, 1)
    while k:
        if k & 1:
            Q = add(Q, P)
        P = add(P, P)
        k >>= 1
    return Q


def recover_x(y, sign):
    xx = (y * y - 1) * inv(d * y * y + 1) % p
    x = pow(xx, (p + 3) // 8, p)
    if (x * x - xx) % p:
        x = x * I % p
    if (x * x - xx) % p:
        return None
    if x & 1 != sign:
        x = p - x
    return x


def encode(P, y_add=0):
    x, y = P
    return ((y + y_add) | ((x & 1) << 255)).to_bytes(32, "little")


def decode(b):
    n = int.from_bytes(b, "little")
    y, sign = n & (2**255 - 1), n >> 255
    x = recover_x(y % p, sign)
    return None if x is None else (x, y % p)


B = (recover_x(4 * inv(5) % p, 0), 4 * inv(5) % p)


def sha512_int(*parts):
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def secret(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


# A point of order 8 (and its multiples: orders 4, 2).
T8 = decode(bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"))
assert mul(8, T8) == (0, 1) and mul(4, T8) != (0, 1)


def sign_with(a, prefix, A_bytes, msg, r_add=(0, 1), s_add=0):
    r = sha512_int(prefix, msg) % L
    R = add(mul(r, B), r_add)
    R_bytes = encode(R)
    k = sha512_int(R_bytes, A_bytes, msg) % L
    return R_bytes + ((r + k * a) % L + s_add).to_bytes(32, "little")


def made_cases():
    out = []
    a, prefix = secret(b"terroir ed25519 corpus")
    A = mul(a, B)
    A_bytes = encode(A)
    msg = b"terroir-record-v1\n{}"
    out.append(("honest signature", A_bytes, msg, sign_with(a, prefix, A_bytes, msg)))
    out.append(("S + l, a second spelling of S", A_bytes, msg, sign_with(a, prefix, A_bytes, msg, s_add=L)))
    for order, T in ((2, mul(4, T8)), (4, mul(2, T8)), (8, T8)):
        out.append((f"R with a component of order {order}", A_bytes, msg, sign_with(a, prefix, A_bytes, msg, r_add=T)))
    # A key with a small-order component, signing honestly for the mixed key.
    mixed = add(A, T8)
    mixed_bytes = encode(mixed)
    r = sha512_int(prefix, msg) % L
    R_bytes = encode(mul(r, B))
    k = sha512_int(R_bytes, mixed_bytes, msg) % L
    # [S]B - [k](A + T) = R - [k]T: valid cofactorless only when [k]T is zero.
    out.append(("key with an order-8 component", mixed_bytes, msg, R_bytes + ((r + k * a) % L).to_bytes(32, "little")))
    # Small-order keys with R = -[k]A and S = 0, valid under the cofactorless equation.
    for name, T in (("identity", (0, 1)), ("order 2", mul(4, T8)), ("order 8", T8)):
        T_bytes = encode(T)
        for R in ((0, 1), mul(4, T8), T8):
            R_bytes = encode(R)
            k = sha512_int(R_bytes, T_bytes, msg) % L
            if add(R, mul(k, T)) == (0, 1):
                out.append((f"small-order key ({name}), S = 0", T_bytes, msg, R_bytes + bytes(32)))
                break
    # Non-canonical encodings: y + p for the points whose y < 19 (the identity's y = 1).
    ident_nc = encode((0, 1), y_add=p)
    out.append(("non-canonical identity as R, small-order key", ident_nc, msg, ident_nc + bytes(32)))
    return out


def main():
    here = pathlib.Path(__file__).resolve().parent.parent
    speccheck = json.loads((here / "shared/tests/data/ed25519/speccheck-cases.json").read_text())
    cases = [(f"speccheck case {i}", bytes.fromhex(c["pub_key"]), bytes.fromhex(c["message"]), bytes.fromhex(c["signature"])) for i, c in enumerate(speccheck)]
    cases += made_cases()
    vectors = []
    for name, key, msg, sig in cases:
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(sig, msg)
            verdict = True
        except (InvalidSignature, ValueError):
            verdict = False
        vectors.append({"name": name, "key": key.hex(), "message": msg.hex(), "signature": sig.hex(), "openssl": verdict})
    doc = {
        "about": "Ed25519 edge cases and OpenSSL's verdict on each (pyca/cryptography "
        + __import__("cryptography").__version__ + ", " + backend.openssl_version_text()
        + "), made by scripts/ed25519-verdicts.py",
        "vectors": vectors,
    }
    (here / "shared/tests/data/ed25519/vectors.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(vectors)} vectors, {sum(v['openssl'] for v in vectors)} accepted by OpenSSL")


main()
