"""Lesson 05 helpers: plaintext limits per key spec (sources: encrypt-plaintext-limits) and a symmetric vs
asymmetric speed comparison with `cryptography` on this machine."""
from __future__ import annotations

import os
import time

#: Maximum plaintext bytes per Encrypt call (sources: encrypt-plaintext-limits). SM2PKE (1024, China Regions only) is left out.
PLAINTEXT_LIMITS = {
    ("SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT"): 4096,
    ("RSA_2048", "RSAES_OAEP_SHA_1"): 214, ("RSA_2048", "RSAES_OAEP_SHA_256"): 190,
    ("RSA_3072", "RSAES_OAEP_SHA_1"): 342, ("RSA_3072", "RSAES_OAEP_SHA_256"): 318,
    ("RSA_4096", "RSAES_OAEP_SHA_1"): 470, ("RSA_4096", "RSAES_OAEP_SHA_256"): 446,
}
HASH_BITS = {"RSAES_OAEP_SHA_1": 160, "RSAES_OAEP_SHA_256": 256}


def oaep_limit(key_bits: int, hash_bits: int) -> int:
    """RSA-OAEP's plaintext limit: key bytes - 2 * hash bytes - 2 (sources: encrypt-plaintext-limits)."""
    return key_bits // 8 - 2 * (hash_bits // 8) - 2


def limits_table() -> str:
    lines = [f"{'key spec':18} {'algorithm':20} {'max bytes':>9}  {'formula':>7}"]
    for (spec, algorithm), limit in PLAINTEXT_LIMITS.items():
        formula = (str(oaep_limit(int(spec.split("_")[1]), HASH_BITS[algorithm]))
                   if spec.startswith("RSA") else "-")
        lines.append(f"{spec:18} {algorithm:20} {limit:>9}  {formula:>7}")
    return "\n".join(lines)


def plot_plaintext_limits():
    """Bars of the maximum plaintext per Encrypt call, log scale. Returns a closed figure."""
    import matplotlib.pyplot as plt

    labels = [f"{spec}\n{alg.replace('RSAES_', '').replace('SYMMETRIC_DEFAULT', 'AES-256-GCM')}"
              for spec, alg in PLAINTEXT_LIMITS]
    values = list(PLAINTEXT_LIMITS.values())
    colours = ["#2d7dd2" if spec == "SYMMETRIC_DEFAULT" else "#c8553d" for spec, _ in PLAINTEXT_LIMITS]
    fig, ax = plt.subplots(figsize=(10, 3.8))
    bars = ax.bar(range(len(values)), values, color=colours)
    ax.bar_label(bars, labels=[str(v) for v in values], fontsize=9)
    ax.set_xticks(range(len(values)), labels, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylim(100, 8000)
    ax.set_ylabel("max plaintext per Encrypt (bytes)")
    ax.axhline(32, color="grey", lw=0.8)
    ax.set_title("KMS Encrypt: maximum plaintext by key spec and algorithm (a 32-byte data key fits every one)")
    fig.tight_layout()
    plt.close(fig)
    return fig


def _rate(fn, budget: float) -> float:
    """Operations per second of fn(), measured for about `budget` seconds (after one warm-up call)."""
    fn()
    count, start = 0, time.perf_counter()
    while True:
        fn()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return count / elapsed


def speed(budget: float = 0.15) -> dict[str, float]:
    """Operations per second with `cryptography`, all on a 190-byte message (fits RSA-2048 OAEP-SHA-256)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    message = os.urandom(190)
    aes = AESGCM(AESGCM.generate_key(bit_length=256))
    nonce = os.urandom(12)
    sealed = aes.encrypt(nonce, message, None)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key()
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    rsa_sealed = public.encrypt(message, oaep)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
    rsa_signature = private.sign(message, pss, hashes.SHA256())
    ec_private = ec.generate_private_key(ec.SECP256R1())
    ec_signature = ec_private.sign(message, ec.ECDSA(hashes.SHA256()))
    return {
        "AES-256-GCM encrypt": _rate(lambda: aes.encrypt(nonce, message, None), budget),
        "AES-256-GCM decrypt": _rate(lambda: aes.decrypt(nonce, sealed, None), budget),
        "RSA-2048 OAEP encrypt": _rate(lambda: public.encrypt(message, oaep), budget),
        "RSA-2048 OAEP decrypt": _rate(lambda: private.decrypt(rsa_sealed, oaep), budget),
        "RSA-2048 PSS sign": _rate(lambda: private.sign(message, pss, hashes.SHA256()), budget),
        "RSA-2048 PSS verify": _rate(lambda: public.verify(rsa_signature, message, pss, hashes.SHA256()), budget),
        "ECDSA P-256 sign": _rate(lambda: ec_private.sign(message, ec.ECDSA(hashes.SHA256())), budget),
        "ECDSA P-256 verify": _rate(lambda: ec_private.public_key().verify(ec_signature, message,
                                                                          ec.ECDSA(hashes.SHA256())), budget),
    }


def slowdown(rates: dict[str, float]) -> dict[str, float]:
    """How many times slower than AES-256-GCM decrypt each operation is."""
    base = rates["AES-256-GCM decrypt"]
    return {name: base / rate for name, rate in rates.items()}


def plot_slowdown(rates: dict[str, float]):
    """Horizontal bars: times slower than AES-256-GCM decrypt (log scale). Returns a closed figure."""
    import matplotlib.pyplot as plt

    ratios = slowdown(rates)
    names = list(ratios)
    fig, ax = plt.subplots(figsize=(9, 3.8))
    colours = ["#2d7dd2" if name.startswith("AES") else "#c8553d" for name in names]
    ax.barh(names, [ratios[n] for n in names], color=colours)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("times slower than AES-256-GCM decrypt (190-byte message, this machine, log scale)")
    ax.set_title("Symmetric vs asymmetric, measured with cryptography in one run")
    ax.grid(True, axis="x", which="major", alpha=0.3)
    fig.tight_layout()
    plt.close(fig)
    return fig
