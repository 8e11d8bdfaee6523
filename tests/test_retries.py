"""botocore's real retry logic against the sandbox's throttling, in virtual time."""
from __future__ import annotations

import pytest
from botocore.config import Config

from kmslab.service import audit, quotas
from kmslab.teach import retries

MODES = ("legacy", "standard", "adaptive")


@pytest.fixture(autouse=True)
def fresh_quotas():
    quotas.reset()
    yield
    quotas.reset()


def throttles_logged() -> int:
    return len(audit.events(event_name="GenerateRandom", error_code="ThrottlingException"))


@pytest.mark.parametrize("mode", MODES)
def test_retry_attempts_match_the_throttles_the_service_sent(sb, mode):
    quotas.configure(overrides={"symmetric": 1})
    with retries.virtual_time(seed=1) as vt:
        kms = sb.client("kms", config=retries.retry_config(mode))
        assert retries.outcome(kms.generate_random, NumberOfBytes=8)["RetryAttempts"] == 0
        before = throttles_logged()
        seen = retries.outcome(kms.generate_random, NumberOfBytes=8)  # bucket empty: must wait
    injected = throttles_logged() - before
    assert seen["ok"] and injected >= 1
    assert seen["RetryAttempts"] == injected
    assert len(vt.backoff_sleeps) == injected
    # Every second botocore "slept" was sandbox time, and that is what refilled the bucket.
    assert vt.elapsed == pytest.approx(sum(vt.backoff_sleeps) + sum(vt.bucket_waits), abs=1e-5)


@pytest.mark.parametrize("mode, config, attempts", [
    ("legacy", None, 5),                               # (sources: legacy-retry-mode) 5 attempts
    ("standard", None, 3),                             # (sources: standard-retry-mode) 3 attempts
    ("adaptive", None, 3),
    ("standard", {"max_attempts": 3}, 4),              # (sources: max-attempts-meaning) max_attempts counts retries
    ("standard", {"total_max_attempts": 3}, 3),        # total_max_attempts counts attempts
])
def test_max_attempts_reached_when_always_throttled(sb, mode, config, attempts):
    quotas.configure(overrides={"symmetric": 1e-6})  # one token, then none for ~11 days
    with retries.virtual_time(seed=2):
        kms = sb.client("kms", config=Config(retries={"mode": mode, **(config or {})}))
        kms.generate_random(NumberOfBytes=8)
        before = throttles_logged()
        seen = retries.outcome(kms.generate_random, NumberOfBytes=8)
    assert seen["error"] == "ThrottlingException"
    assert seen["MaxAttemptsReached"] is True
    assert seen["RetryAttempts"] == attempts - 1
    assert throttles_logged() - before == attempts


def test_adaptive_mode_waits_in_its_client_side_bucket_on_the_sandbox_clock(sb):
    quotas.configure(overrides={"symmetric": 5})
    result = retries.replay(lambda cfg: sb.client("kms", config=cfg), "adaptive", 60, 50)
    assert result.succeeded == 60
    assert result.bucket_wait_seconds > 0      # the client throttled itself ...
    assert result.virtual_seconds >= 60 / 5 - 1  # ... to about the quota (5/s)


@pytest.mark.parametrize("mode", MODES)
def test_same_seed_same_delays(sb, mode):
    def run(seed):
        quotas.configure(overrides={"symmetric": 3})
        now = sb.clock.time()  # start on a whole 10 s, as a fresh sandbox would:
        sb.clock.advance(10 - now % 10 + 10)  # adaptive mode measures rates in 0.5 s bins
        with retries.virtual_time(seed=seed) as vt:
            kms = sb.client("kms", config=retries.retry_config(mode))
            for _ in range(12):
                retries.outcome(kms.generate_random, NumberOfBytes=8)
        return vt.backoff_sleeps, vt.bucket_waits

    first = run(7)
    assert first[0]  # there were retries to compare
    assert run(7) == first
    assert run(8) != first


def test_virtual_time_restores_botocore(sb):
    import botocore.endpoint
    import time
    from botocore.retries import bucket

    acquire = bucket.TokenBucket._acquire
    with retries.virtual_time():
        assert botocore.endpoint.time is not time
    assert botocore.endpoint.time is time
    assert bucket.TokenBucket._acquire is acquire


def test_standard_mode_numbers_come_from_botocore_and_agree_with_the_sources():
    """Throttling vs other retryable errors: base delay, cap and retry quota cost (sources: standard-retry-mode)."""
    from kmslab import sources

    mode = retries.standard_mode(11)
    values = sources.load()["standard-retry-mode"].values
    assert mode.ceilings["throttling"][:3] == [1.0, 2.0, 4.0] and mode.ceilings["throttling"][-1] == 20.0
    assert mode.ceilings["other"][:3] == [0.05, 0.1, 0.2] and mode.ceilings["other"][-1] == 20.0
    assert (mode.costs["throttling"], mode.costs["other"], mode.quota) == (
        values["throttling_retry_cost"], values["retry_cost"], values["retry_quota_tokens"])
    assert (mode.retries_until_empty("throttling"), mode.retries_until_empty("other")) == (100, 35)
    assert "100 throttling retries or 35 other retries" in mode.table()
