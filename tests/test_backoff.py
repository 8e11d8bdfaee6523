"""The backoff laboratory reproduces the ordering of "Exponential Backoff And Jitter" (sources: backoff-and-jitter-post)."""
from __future__ import annotations

import random

import pytest

from kmslab.teach import backoff


@pytest.fixture(scope="module")
def results():
    return backoff.sweep(range(10, 110, 10), trials=3, seed=0)


def totals(results, metric):
    return dict(backoff.ranking(results, metric))


def test_formulas_match_the_simulator():
    rng = random.Random(0)
    assert backoff.make_backoff("exponential", 5, 2000, rng)(3) == 40  # sources: backoff-formulas
    assert backoff.make_backoff("exponential", 5, 2000, rng)(20) == 2000  # capped
    full = backoff.make_backoff("full_jitter", 5, 2000, rng)
    assert all(0 <= full(4) <= 80 for _ in range(200))  # sources: backoff-formulas
    equal = backoff.make_backoff("equal_jitter", 5, 2000, rng)
    assert all(40 <= equal(4) <= 80 for _ in range(200))  # sources: backoff-formulas
    decorrelated = backoff.make_backoff("decorrelated_jitter", 5, 2000, rng)
    sleeps = [decorrelated(n) for n in range(1, 200)]
    assert all(5 <= s <= 2000 for s in sleeps)  # sources: backoff-formulas
    assert all(b <= a * 3 for a, b in zip([5] + sleeps, sleeps))
    with pytest.raises(ValueError):
        backoff.make_backoff("linear", 5, 2000, rng)


def test_no_jitter_is_the_clear_loser(results):
    calls, time = totals(results, "calls"), totals(results, "time")
    jittered = ("equal_jitter", "full_jitter", "decorrelated_jitter")
    assert calls["exponential"] > max(calls[s] for s in jittered)
    assert time["exponential"] > max(time[s] for s in jittered)
    assert calls["none"] == max(calls.values())


def test_equal_jitter_loses_to_full_jitter(results):
    calls, time = totals(results, "calls"), totals(results, "time")
    assert calls["equal_jitter"] > calls["full_jitter"]
    assert time["equal_jitter"] > time["full_jitter"]


def test_full_jitter_does_less_work_decorrelated_takes_less_time(results):
    calls, time = totals(results, "calls"), totals(results, "time")
    assert calls["full_jitter"] < calls["decorrelated_jitter"]
    assert time["decorrelated_jitter"] < time["full_jitter"]


def test_every_client_finishes_with_one_successful_write():
    for strategy in backoff.STRATEGIES:
        result = backoff.simulate(50, strategy, seed=3)
        assert result.calls - result.failures == 50


def test_same_seed_same_numbers():
    assert backoff.sweep([5, 50], trials=2, seed=4) == backoff.sweep([5, 50], trials=2, seed=4)
    assert backoff.simulate(100, "full_jitter", seed=1) != backoff.simulate(100, "full_jitter", seed=2)


def test_plot_has_a_fixed_size(results):
    import matplotlib

    matplotlib.use("Agg")
    fig = backoff.plot(results)
    assert tuple(fig.get_size_inches()) == backoff.FIGSIZE
    assert "clients" in backoff.table(results)
