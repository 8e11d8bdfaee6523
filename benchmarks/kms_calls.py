"""In-process KMS calls per second: the sandbox vs bare moto, in one run.

    .venv/bin/python benchmarks/kms_calls.py [--pairs 1000] [--rounds 7]

Each side runs in a subprocess of its own (the sandbox patches moto globally once installed, so
bare moto must never import kmslab.service), and the two take turns for --rounds rounds, in an
order that alternates, so that load from elsewhere on a shared machine falls on both alike. Each
creates one symmetric key and times `pairs` x (encrypt + decrypt) of 64 bytes after a short
warm-up; it also times create_key. Each round's ratio compares two measurements taken seconds
apart, so noise on a shared machine mostly cancels; the summary gives the median of the rounds'
ratios with its spread, in calls/s and in CPU time per call (the steadier of the two). Goal: at
least 1.
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
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(pairs):
        kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key, Plaintext=plaintext)["CiphertextBlob"])
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    for _ in range(10):
        kms.create_key()
    create_ms = (time.perf_counter() - start) / 10 * 1000
    return {"calls_per_s": 2 * pairs / elapsed, "cpu_ms": cpu * 1000 / (2 * pairs), "create_key_ms": create_ms}


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


def run_side(side: str, pairs: int) -> dict:
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
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--side", choices=("bare", "sandbox"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps((bare_moto if args.side == "bare" else sandboxed)(args.pairs)))
        return
    runs: dict[str, list[dict]] = {"bare": [], "sandbox": []}
    speed, cpu = [], []  # each round's ratios: two measurements seconds apart share the machine's load
    for r in range(args.rounds):
        for side in (("bare", "sandbox") if r % 2 == 0 else ("sandbox", "bare")):
            runs[side].append(run_side(side, args.pairs))
        bare, ours = runs["bare"][-1], runs["sandbox"][-1]
        speed.append(ours["calls_per_s"] / bare["calls_per_s"])
        cpu.append(bare["cpu_ms"] / ours["cpu_ms"])
        print(f"  round {r + 1}: bare moto {bare['calls_per_s']:6.0f} calls/s, sandbox {ours['calls_per_s']:6.0f} "
              f"calls/s, ratio {speed[-1]:.2f} ({cpu[-1]:.2f} in CPU per call)", flush=True)
    med = {side: {k: statistics.median(m[k] for m in ms) for k in ms[0]} for side, ms in runs.items()}
    for side, label in (("bare", "bare moto"), ("sandbox", "sandbox  ")):
        m = med[side]
        print(f"{label} : {m['calls_per_s']:7.0f} calls/s  {m['cpu_ms']:.3f} ms CPU per call  "
              f"create_key {m['create_key_ms']:5.1f} ms  (medians of {args.rounds})")
    print(f"ratio     : {statistics.median(speed):.2f} in calls/s, median of {args.rounds} interleaved rounds "
          f"({spread(speed)})")
    print(f"            {statistics.median(cpu):.2f} in CPU per call ({spread(cpu)}); goal >= 1")


if __name__ == "__main__":
    main()
