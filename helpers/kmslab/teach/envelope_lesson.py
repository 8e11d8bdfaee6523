"""Lesson 04 helpers: direct KMS Encrypt per 4 KB chunk vs envelope encryption, the
`openssl enc -k fileb://...` trap, and capturing what a logger would write."""
from __future__ import annotations

import contextlib
import io
import logging
import math
import shutil
import subprocess
import time
from pathlib import Path
from typing import Iterator

from . import envelope

KMS_ENCRYPT_LIMIT = 4096              # (sources: encrypt-plaintext-limits) symmetric Encrypt takes at most 4096 bytes
PRICE_PER_REQUEST = 0.03 / 10_000     # (sources: request-prices) $0.03 per 10,000 symmetric requests (us-east-1)


def direct_calls(size: int) -> int:
    """KMS Encrypt calls to encrypt `size` bytes directly, 4096 bytes at a time (at least one)."""
    return max(1, math.ceil(size / KMS_ENCRYPT_LIMIT))


def request_cost(calls: int) -> float:
    """US dollars for `calls` symmetric KMS requests at list price, ignoring the free tier."""
    return calls * PRICE_PER_REQUEST


def direct_vs_envelope(kms, key_id: str, sizes: list[int], runs: int = 5) -> list[dict]:
    """Encrypt `size` bytes both ways on the sandbox, counting calls and timing each approach.

    Each time is the median of `runs` runs, after one untimed warm-up run of each approach,
    so the first call's one-off costs and a busy machine's outliers do not bend the curve.
    The counts are exact; the times vary from machine to machine (and run to run)."""
    import statistics

    from .mitigations import Counter

    rows = []
    for size in sizes:
        data = bytes(range(256)) * (size // 256) + bytes(size % 256)
        jobs = {"direct": lambda: [kms.encrypt(KeyId=key_id, Plaintext=data[at:at + KMS_ENCRYPT_LIMIT])
                                   for at in range(0, max(size, 1), KMS_ENCRYPT_LIMIT)],
                "envelope": lambda: envelope.encrypt_bytes(kms, key_id, data)}
        timings = {}
        for name, job in jobs.items():
            with Counter() as counted:
                job()                                   # warm-up, and the call count
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                job()
                times.append(time.perf_counter() - start)
            timings[name] = (statistics.median(times), counted.count)
        rows.append({"size": size, "direct_s": timings["direct"][0], "direct_calls": timings["direct"][1],
                     "envelope_s": timings["envelope"][0], "envelope_calls": timings["envelope"][1]})
    return rows


def size_label(size: float) -> str:
    """4096 -> "4 KiB", 1048576 -> "1 MiB"."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size:g} B"


def plot_direct_vs_envelope(rows: list[dict]):
    """Two panels: throughput (MB/s) and KMS calls against file size. Returns a closed figure.

    The throughput panel is measured on this machine, so its image differs from run to run
    (strict nbval compares a figure's text, not its pixels); the calls panel is exact."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    sizes = [r["size"] for r in rows]
    fig, (speed, calls) = plt.subplots(1, 2, figsize=(11, 4))
    for name, colour in (("direct", "#c8553d"), ("envelope", "#2d7dd2")):
        label = "KMS Encrypt per 4 KB chunk" if name == "direct" else "envelope (1 data key, local AES-GCM)"
        speed.plot(sizes, [r["size"] / r[f"{name}_s"] / 1e6 for r in rows], "o-", color=colour, label=label)
        calls.plot(sizes, [r[f"{name}_calls"] for r in rows], "o-", color=colour, label=label)
    plain = FuncFormatter(lambda y, _: f"{y:,.10g}")
    for ax in (speed, calls):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(FixedLocator(sizes))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: size_label(x)))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(plain)
        ax.set_xlabel("file size")
        ax.grid(True, which="major", alpha=0.3)
    speed.set_ylabel("throughput on this machine (MB/s)")
    speed.set_title("Speed (in-process sandbox: no network)")
    calls.set_ylabel("KMS requests")
    calls.set_title("KMS requests per file (each one billed and rate-limited)")
    calls.legend(loc="upper left", fontsize=8.5)
    fig.tight_layout()
    plt.close(fig)
    return fig


def openssl_password_trap(folder: str | Path) -> dict[str, bool] | None:
    """Run the real `openssl enc` with `-k fileb://datakey`; None if openssl is not installed.

    `-k` takes a *password*: the literal text "fileb://datakey" (the `fileb://` prefix means
    something only to the AWS CLI). openssl derives the key from that text, so the data key file
    is never read and anyone who knows the command line can decrypt.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    work, elsewhere = Path(folder, "work"), Path(folder, "elsewhere")
    work.mkdir(parents=True, exist_ok=True)
    elsewhere.mkdir(parents=True, exist_ok=True)
    secret = b"quarterly numbers: 1, 2, 3\n"
    (work / "plain.txt").write_bytes(secret)
    (work / "datakey").write_bytes(bytes(range(32)))   # stands in for a KMS data key's Plaintext
    cipher = ["enc", "-aes-256-cbc", "-pbkdf2"]

    def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run([openssl, *args], cwd=cwd, capture_output=True)

    encrypted = run([*cipher, "-salt", "-in", "plain.txt", "-out", "plain.enc", "-k", "fileb://datakey"], work)
    (elsewhere / "plain.enc").write_bytes((work / "plain.enc").read_bytes())
    # Decrypt in a folder with no datakey file at all, using only the literal string.
    literal = run([*cipher, "-d", "-in", "plain.enc", "-k", "fileb://datakey"], elsewhere)
    # The data key itself, used as a key (-K hex, -iv hex), does not open it.
    as_key = run([*cipher[:2], "-d", "-in", "plain.enc", "-K", bytes(range(32)).hex(),
                  "-iv", "00" * 16], elsewhere)
    return {"encrypt succeeded": encrypted.returncode == 0,
            "ciphertext starts with 'Salted__' (password mode)": (work / "plain.enc").read_bytes()[:8] == b"Salted__",
            "decrypted without the key file, from the literal text": literal.returncode == 0 and literal.stdout == secret,
            "decrypted with the data key as the real key": as_key.returncode == 0 and as_key.stdout == secret}


@contextlib.contextmanager
def captured_log(name: str, level: int = logging.DEBUG) -> Iterator[io.StringIO]:
    """Capture what logger `name` writes at `level` into a StringIO (nothing reaches the screen)."""
    logger = logging.getLogger(name)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield buffer
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
