"""In-process KMS calls per second: the sandbox vs bare moto, interleaved.

    .venv/bin/python benchmarks/kms_calls.py [--rounds 7] [--pairs 1000]

Each round runs bare moto and the sandbox one after the other, each in a fresh process (bare
moto's never imports kmslab.service, which patches moto globally once installed), alternating
which goes first. A round's ratio compares two measurements taken seconds apart, so noise on a
shared machine mostly cancels; the median of the rounds' ratios is the result, printed with its
spread. Each measurement creates one symmetric key and times `pairs` x (encrypt + decrypt) of 64
bytes after a short warm-up, and times create_key. The goal (issue 3) is a ratio of at least 0.8.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

WARMUP = 50


def measure(kms, pairs: int) -> dict:
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    plaintext = b"x" * 64
    for _ in range(WARMUP):
        kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key, Plaintext=plaintext)["CiphertextBlob"])
    start = time.perf_counter()
    for _ in range(pairs):
        kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key, Plaintext=plaintext)["CiphertextBlob"])
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(10):
        kms.create_key()
    create_ms = (time.perf_counter() - start) / 10 * 1000
    return {"calls_per_s": 2 * pairs / elapsed, "create_key_ms": create_ms}


def bare_moto(pairs: int) -> dict:
    import boto3
    from moto import mock_aws

    with mock_aws():
        return measure(boto3.client("kms", region_name="us-east-1"), pairs)


def sandboxed(pairs: int) -> dict:
    from kmslab import sandbox

    sb = sandbox.start()
    try:
        return measure(sb.client("kms"), pairs)
    finally:
        sb.stop()


SIDES = {"bare": bare_moto, "sandbox": sandboxed}


def run_side(side: str, pairs: int) -> dict:
    """One measurement in a fresh process."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run([sys.executable, __file__, "--side", side, "--pairs", str(pairs)],
                         check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def spread(values: list[float]) -> str:
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return f"interquartile {q1:.2f}-{q3:.2f}, range {min(values):.2f}-{max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(SIDES[args.side](args.pairs)))
        return
    rows = []
    for round_ in range(args.rounds):
        order = ("bare", "sandbox") if round_ % 2 == 0 else ("sandbox", "bare")
        got = {side: run_side(side, args.pairs) for side in order}
        ratio = got["sandbox"]["calls_per_s"] / got["bare"]["calls_per_s"]
        rows.append((got["bare"], got["sandbox"], ratio))
        print(f"round {round_ + 1}: bare moto {got['bare']['calls_per_s']:6.0f} calls/s, "
              f"sandbox {got['sandbox']['calls_per_s']:6.0f} calls/s, ratio {ratio:.2f}", flush=True)
    ratios = [ratio for _, _, ratio in rows]
    bare_create = [bare["create_key_ms"] for bare, _, _ in rows]
    ours_create = [ours["create_key_ms"] for _, ours, _ in rows]
    print(f"bare moto : {statistics.median(r[0]['calls_per_s'] for r in rows):7.0f} calls/s (median)  "
          f"create_key {statistics.median(bare_create):5.1f} ms")
    print(f"sandbox   : {statistics.median(r[1]['calls_per_s'] for r in rows):7.0f} calls/s (median)  "
          f"create_key {statistics.median(ours_create):5.1f} ms")
    print(f"ratio     : {statistics.median(ratios):.2f} median of {len(ratios)} interleaved rounds "
          f"({spread(ratios)}; goal >= 0.8)")


if __name__ == "__main__":
    main()
