"""In-process KMS calls per second: the sandbox vs bare moto, in one run.

    .venv/bin/python benchmarks/kms_calls.py [--pairs 1000]

Bare moto runs in a subprocess that never imports kmslab.service (the sandbox
patches moto globally once installed). Each side creates one symmetric key and
times `pairs` x (encrypt + decrypt) of 64 bytes, after a short warm-up; it also
times create_key. The goal (issue 3) is a ratio of at least 0.8.
"""
from __future__ import annotations

import argparse
import json
import os
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        print(json.dumps(bare_moto(args.pairs)))
        return
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run([sys.executable, __file__, "--bare", "--pairs", str(args.pairs)],
                         check=True, capture_output=True, text=True, env=env).stdout
    bare = json.loads(out.strip().splitlines()[-1])
    ours = sandboxed(args.pairs)
    ratio = ours["calls_per_s"] / bare["calls_per_s"]
    print(f"bare moto : {bare['calls_per_s']:7.0f} calls/s  create_key {bare['create_key_ms']:5.1f} ms")
    print(f"sandbox   : {ours['calls_per_s']:7.0f} calls/s  create_key {ours['create_key_ms']:5.1f} ms")
    print(f"ratio     : {ratio:.2f} (goal >= 0.8)")


if __name__ == "__main__":
    main()
