"""How much virtual time the simulations play per wall-clock second.

    .venv/bin/python benchmarks/virtual_time.py

1. The backoff laboratory (pure Python): 100 clients, each strategy.
2. botocore's real retries against the in-process sandbox's quotas, in virtual
   time: one minute of traffic per retry mode.
"""
from __future__ import annotations

import time


def backoff_lab() -> None:
    from kmslab.teach import backoff

    print("backoff laboratory, 100 clients, one run each:")
    for strategy in backoff.STRATEGIES:
        t = time.perf_counter()
        result = backoff.simulate(100, strategy, seed=0)
        wall = time.perf_counter() - t
        print(f"  {backoff.LABELS[strategy]:<24} {result.time / 1000:8.1f} s simulated in "
              f"{wall * 1000:6.1f} ms wall = {result.time / 1000 / wall:10.0f} s per wall second")
    t = time.perf_counter()
    backoff.sweep(range(10, 110, 10), trials=3)
    print(f"  full sweep 10..100 clients x 5 strategies x 3 trials: {time.perf_counter() - t:.2f} s wall")


def retry_replay() -> None:
    from kmslab import sandbox
    from kmslab.service import quotas
    from kmslab.teach import retries

    sb = sandbox.start()
    try:
        quotas.configure(overrides={"symmetric": 20})
        print("botocore retries in virtual time: one client, GenerateRandom offered at 40/s, quota 20/s:")
        for mode in ("legacy", "standard", "adaptive"):
            r = retries.replay(lambda cfg: sb.client("kms", config=cfg), mode, 2400, 40)
            print(f"  {r.summary()}; {r.wall_seconds:.2f} s wall = "
                  f"{r.virtual_seconds / r.wall_seconds:.0f} s per wall second")
    finally:
        quotas.reset()
        sb.stop()


if __name__ == "__main__":
    backoff_lab()
    retry_replay()
