"""The backoff laboratory: N clients contending for one resource, five retry strategies.

The model follows the simulator behind the AWS Architecture Blog post
"Exponential Backoff And Jitter" (aws-samples/aws-arch-backoff-simulator,
sources: backoff-and-jitter-post, backoff-formulas), rewritten here as a small discrete-event simulation:

- one row guarded by optimistic concurrency: a client reads the version, then
  writes with it; the write fails if another client wrote first;
- every message crosses a network with delay |Normal(10 ms, 2 ms)|;
- each client must make one successful write, then stops; after a failed
  write it backs off for `strategy(attempt)` and tries again (read, write);
- defaults: base 5 ms, cap 2000 ms, as in aws-samples/aws-arch-backoff-simulator.

Strategies (attempt n = 1 for the first retry):
  none                 sleep = 0
  exponential          sleep = min(cap, base * 2**n)                          (sources: backoff-formulas)
  full_jitter          sleep = uniform(0, min(cap, base * 2**n))               (sources: backoff-formulas)
  equal_jitter         t = min(cap, base * 2**n); sleep = t/2 + uniform(0, t/2) (sources: backoff-formulas)
  decorrelated_jitter  sleep = min(cap, uniform(base, previous_sleep * 3)),
                       previous_sleep starting at base                        (sources: backoff-formulas)

We measure the total calls (writes) the server saw, the work, and the time until
the last client finished. Pure Python with a seeded random.Random, so a cell
re-runs in well under a second for 100 clients and prints the same numbers.
"""
from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from typing import Callable, Iterable

STRATEGIES = ("none", "exponential", "equal_jitter", "full_jitter", "decorrelated_jitter")
LABELS = {"none": "No backoff", "exponential": "Exponential (no jitter)",
          "equal_jitter": "Equal Jitter", "full_jitter": "Full Jitter",
          "decorrelated_jitter": "Decorrelated Jitter"}
FIGSIZE = (9, 4)


def make_backoff(strategy: str, base: float, cap: float, rng: random.Random) -> Callable[[int], float]:
    """One client's backoff: attempt number -> sleep (same units as base and cap)."""
    if strategy == "none":
        return lambda n: 0.0
    if strategy == "exponential":
        return lambda n: min(cap, base * 2 ** n)
    if strategy == "full_jitter":
        return lambda n: rng.uniform(0, min(cap, base * 2 ** n))
    if strategy == "equal_jitter":
        def equal(n: int) -> float:
            t = min(cap, base * 2 ** n)
            return t / 2 + rng.uniform(0, t / 2)
        return equal
    if strategy == "decorrelated_jitter":
        last = [base]

        def decorrelated(n: int) -> float:
            last[0] = min(cap, rng.uniform(base, last[0] * 3))
            return last[0]
        return decorrelated
    raise ValueError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")


@dataclass(frozen=True)
class Result:
    strategy: str
    clients: int
    calls: float      # writes the server handled (successful + failed)
    failures: float   # writes that lost the race
    time: float       # when the last client finished, in ms

    @property
    def calls_per_client(self) -> float:
        return self.calls / self.clients


_READ, _READ_REPLY, _WRITE, _WRITE_REPLY = range(4)


def simulate(clients: int, strategy: str, seed: int = 0, base: float = 5.0, cap: float = 2000.0,
             net_mean: float = 10.0, net_sd: float = 2.0) -> Result:
    """One run: `clients` clients each make one successful write."""
    rng = random.Random(seed)
    delay = lambda: abs(rng.normalvariate(net_mean, net_sd))  # noqa: E731
    backoffs = [make_backoff(strategy, base, cap, rng) for _ in range(clients)]
    attempts = [0] * clients
    version = 0
    calls = failures = 0
    seq = 0  # ties in time resolve in a fixed order
    queue: list[tuple[float, int, int, int, int]] = []
    for c in range(clients):
        queue.append((delay(), seq, _READ, c, 0))
        seq += 1
    heapq.heapify(queue)
    now = 0.0
    while queue:
        now, _, kind, c, value = heapq.heappop(queue)
        if kind == _READ:            # server: reply with the version
            event = (now + delay(), _READ_REPLY, version)
        elif kind == _READ_REPLY:    # client: write with the version it read
            event = (now + delay(), _WRITE, value)
        elif kind == _WRITE:         # server: succeed only if nobody wrote since
            calls += 1
            ok = value == version
            if ok:
                version += 1
            else:
                failures += 1
            event = (now + delay(), _WRITE_REPLY, int(ok))
        else:                        # client: done, or back off and start over
            if value:
                continue
            attempts[c] += 1
            event = (now + delay() + backoffs[c](attempts[c]), _READ, 0)
        seq += 1
        heapq.heappush(queue, (event[0], seq, event[1], c, event[2]))
    return Result(strategy, clients, calls, failures, now)


def sweep(client_counts: Iterable[int] = range(10, 110, 10), strategies: Iterable[str] = STRATEGIES,
          trials: int = 3, seed: int = 0, **options) -> dict[str, list[Result]]:
    """Average `trials` runs per (strategy, clients). Returns {strategy: [Result, ...]}."""
    results: dict[str, list[Result]] = {}
    counts = list(client_counts)
    for strategy in strategies:
        row = []
        for n in counts:
            runs = [simulate(n, strategy, seed=seed * 1_000_003 + n * 101 + t, **options)
                    for t in range(trials)]
            row.append(Result(strategy, n, sum(r.calls for r in runs) / trials,
                              sum(r.failures for r in runs) / trials,
                              sum(r.time for r in runs) / trials))
        results[strategy] = row
    return results


def ranking(results: dict[str, list[Result]], metric: str = "calls") -> list[tuple[str, float]]:
    """Strategies from least to most `metric` ("calls" or "time"), summed over client counts."""
    totals = {s: sum(getattr(r, metric) for r in rows) for s, rows in results.items()}
    return sorted(totals.items(), key=lambda item: item[1])


def table(results: dict[str, list[Result]], metric: str = "calls") -> str:
    """A plain-text table: one row per client count, one column per strategy."""
    strategies = list(results)
    head = "clients " + " ".join(f"{LABELS[s][:14]:>14}" for s in strategies)
    lines = [head]
    for i, first in enumerate(results[strategies[0]]):
        cells = " ".join(f"{getattr(results[s][i], metric):14.0f}" for s in strategies)
        lines.append(f"{first.clients:7d} {cells}")
    return "\n".join(lines)


def plot(results: dict[str, list[Result]], metrics: tuple[str, ...] = ("calls", "time")):
    """Line plots of calls and completion time against clients (fixed figure size)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(metrics), figsize=FIGSIZE)
    axes = [axes] if len(metrics) == 1 else list(axes)
    titles = {"calls": "Total calls (work)", "time": "Time to completion (ms)"}
    for ax, metric in zip(axes, metrics):
        for strategy, rows in results.items():
            ax.plot([r.clients for r in rows], [getattr(r, metric) for r in rows],
                    marker="o", markersize=3, label=LABELS[strategy])
        ax.set_xlabel("clients")
        ax.set_title(titles.get(metric, metric))
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
