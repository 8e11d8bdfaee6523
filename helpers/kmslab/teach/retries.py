"""botocore's own retries, in virtual time.

The sandbox throttles inside the mocked service (kmslab.service.quotas), so a
plain boto3 client meets a real ThrottlingException and handles it with its
real retry logic: legacy, standard or adaptive mode (sources: retry-default-mode, legacy-retry-mode, standard-retry-mode, adaptive-retry-mode, max-attempts-meaning). The only
thing changed here is *time*. Inside `virtual_time()`:

- the backoff sleep botocore takes before a retry (`botocore.endpoint` calls
  `time.sleep`) advances the sandbox clock instead of waiting;
- adaptive mode's client-side token bucket reads the sandbox clock, and where
  it would block on `threading.Condition.wait` it advances the clock instead
  (moto-gaps 2.2: patching sleep alone leaves adaptive mode waiting for real);
- the jitter comes from Python's global `random`, which botocore uses in every
  mode; it is seeded on entry and restored on exit, so the same seed gives the
  same delays.

The quotas read the same clock, so the bucket refills exactly as long as the
client "slept". Create the clients inside the block, so that adaptive mode's
rate measurements start on the sandbox clock.

What botocore reports: `ResponseMetadata.RetryAttempts` (retries made) and,
when it gave up, `MaxAttemptsReached` (or `RetryQuotaReached` when standard mode's retry
quota ran dry). In `Config(retries={"max_attempts": N})` N counts retries (N+1 attempts);
`total_max_attempts` counts attempts (sources: max-attempts-meaning).

`standard_mode()` reads standard mode's numbers by running the installed botocore's own
classes (botocore.retries.standard and .quota): the longest wait before each retry and
the retry quota's cost, after a throttling error and after any other retryable error
(sources: standard-retry-mode).
"""
from __future__ import annotations

import contextlib
import math
import random
import time as _time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .. import clock as _clock

#: botocore's default total attempts per mode (sources: legacy-retry-mode, standard-retry-mode).
DEFAULT_TOTAL_ATTEMPTS = {"legacy": 5, "standard": 3, "adaptive": 3}


@dataclass
class VirtualTime:
    """What happened to time inside `virtual_time()`."""

    clock: _clock.Clock
    started: float
    backoff_sleeps: list[float] = field(default_factory=list)
    bucket_waits: list[float] = field(default_factory=list)
    wall_started: float = field(default_factory=_time.perf_counter)
    wall_seconds: float | None = None

    @property
    def elapsed(self) -> float:
        """Sandbox seconds since the block started."""
        return self.clock.time() - self.started

    def advance(self, seconds: float) -> None:
        # The frozen clock keeps microseconds: round up so time always moves.
        self.clock.advance(math.ceil(max(0.0, seconds) * 1e6) / 1e6)


class _TimeForBotocore:
    """Stands in for the `time` module inside botocore.endpoint: sleep advances the clock."""

    def __init__(self, vt: VirtualTime):
        self._vt = vt

    def sleep(self, seconds: float) -> None:
        self._vt.backoff_sleeps.append(seconds)
        self._vt.advance(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(_time, name)


@contextlib.contextmanager
def virtual_time(seed: int | None = 0) -> Iterator[VirtualTime]:
    """Run botocore's retry waits on the sandbox clock (see the module docstring)."""
    import botocore.endpoint
    from botocore.exceptions import CapacityNotAvailableError
    from botocore.retries import bucket

    sandbox_clock = _clock.current()
    vt = VirtualTime(sandbox_clock, sandbox_clock.time())

    def acquire(self, amount, block):  # replaces TokenBucket._acquire (lock already held)
        self._refill()
        while amount > self._current_capacity:
            if not block:
                raise CapacityNotAvailableError()
            wait = self._sleep_amount(amount)
            vt.bucket_waits.append(wait)
            vt.advance(wait)
            self._refill()
        self._current_capacity -= amount
        return True

    saved = (botocore.endpoint.time, bucket.Clock.current_time, bucket.Clock.sleep,
             bucket.TokenBucket._acquire)
    random_state = random.getstate()
    if seed is not None:
        random.seed(seed)
    botocore.endpoint.time = _TimeForBotocore(vt)
    bucket.Clock.current_time = lambda self: sandbox_clock.time()
    bucket.Clock.sleep = lambda self, amount: vt.advance(amount)
    bucket.TokenBucket._acquire = acquire
    try:
        yield vt
    finally:
        (botocore.endpoint.time, bucket.Clock.current_time, bucket.Clock.sleep,
         bucket.TokenBucket._acquire) = saved
        random.setstate(random_state)
        vt.wall_seconds = _time.perf_counter() - vt.wall_started


def retry_config(mode: str, total_max_attempts: int | None = None):
    """A botocore Config for `mode`; total_max_attempts counts every attempt (sources: max-attempts-meaning)."""
    from botocore.config import Config

    retries: dict[str, Any] = {"mode": mode}
    if total_max_attempts is not None:
        retries["total_max_attempts"] = total_max_attempts
    return Config(retries=retries)


def outcome(call: Callable[..., dict], **kwargs: Any) -> dict[str, Any]:
    """Make one API call; report what botocore says about its retries (no exception)."""
    from botocore.exceptions import ClientError

    try:
        response = call(**kwargs)
        meta, error = response["ResponseMetadata"], None
    except ClientError as exc:
        meta, error = exc.response.get("ResponseMetadata", {}), exc.response["Error"]["Code"]
    return {"ok": error is None, "error": error,
            "RetryAttempts": meta.get("RetryAttempts", 0),
            "MaxAttemptsReached": meta.get("MaxAttemptsReached", False),
            "RetryQuotaReached": meta.get("RetryQuotaReached", False)}


@dataclass
class Replay:
    """The totals of a stretch of traffic played in virtual time."""

    mode: str
    requests: int
    offered_rate: float
    succeeded: int = 0
    failed: int = 0
    attempts: int = 0
    max_attempts_reached: int = 0
    virtual_seconds: float = 0.0
    wall_seconds: float = 0.0
    backoff_seconds: float = 0.0
    bucket_wait_seconds: float = 0.0

    @property
    def retries(self) -> int:
        return self.attempts - self.requests

    def summary(self) -> str:
        return (f"{self.mode:>8}: {self.requests} requests offered at {self.offered_rate:g}/s -> "
                f"{self.succeeded} succeeded, {self.failed} failed, {self.retries} retries; "
                f"{self.virtual_seconds:.1f} s of sandbox time")


def replay(make_client: Callable[[Any], Any], mode: str, requests: int, rate: float,
           operation: str = "generate_random", seed: int = 0,
           total_max_attempts: int | None = None, **params: Any) -> Replay:
    """Offer `requests` calls at `rate` per second from one client in `mode`, in virtual time.

    make_client(config) -> a boto3 KMS client (e.g. `lambda cfg: sb.client("kms", config=cfg)`).
    Each call is a real request to the sandbox, retried by botocore. A call starts
    at its scheduled time, or when the previous one finished, whichever is later.
    """
    params = params or ({"NumberOfBytes": 16} if operation == "generate_random" else {})
    result = Replay(mode, requests, rate)
    with virtual_time(seed) as vt:
        client = make_client(retry_config(mode, total_max_attempts))
        call = getattr(client, operation)
        start = vt.clock.time()
        for i in range(requests):
            due = start + i / rate
            now = vt.clock.time()
            if due > now:
                vt.advance(due - now)
            seen = outcome(call, **params)
            result.succeeded += seen["ok"]
            result.failed += not seen["ok"]
            result.attempts += seen["RetryAttempts"] + 1
            result.max_attempts_reached += bool(seen["MaxAttemptsReached"])
        result.virtual_seconds = vt.elapsed
    result.wall_seconds = vt.wall_seconds or 0.0
    result.backoff_seconds = sum(vt.backoff_sleeps)
    result.bucket_wait_seconds = sum(vt.bucket_waits)
    return result


# -- standard mode's numbers, from botocore itself ----------------------------------------------

#: An example error of each kind standard mode tells apart: (error code, HTTP status).
ERROR_KINDS = {"throttling": ("ThrottlingException", 400), "other": ("KMSInternalException", 500)}


@dataclass(frozen=True)
class StandardMode:
    """Standard mode after a throttling error and after any other retryable error."""

    ceilings: dict[str, list[float]]   # kind -> longest wait before retry 1, 2, ... (seconds)
    costs: dict[str, int]              # kind -> retry quota tokens one retry takes
    quota: int                         # tokens a client starts with

    def retries_until_empty(self, kind: str) -> int:
        return self.quota // self.costs[kind]

    def table(self) -> str:
        """The waits and the quota, as a small text table."""
        lines = [f"{'retry':>5}  {'throttling error':>18}  {'other retryable error':>22}"]
        for n, (slow, fast) in enumerate(zip(self.ceilings["throttling"], self.ceilings["other"]), start=1):
            lines.append(f"{n:>5}  {'0 to ' + _seconds(slow):>18}  {'0 to ' + _seconds(fast):>22}")
        lines.append(f"{'cost':>5}  {str(self.costs['throttling']) + ' tokens':>18}  "
                     f"{str(self.costs['other']) + ' tokens':>22}")
        lines.append(f"retry quota: {self.quota} tokens per client, so "
                     f"{self.retries_until_empty('throttling')} throttling retries or "
                     f"{self.retries_until_empty('other')} other retries before it runs dry")
        return "\n".join(lines)


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _context(kind: str, attempt: int):
    from botocore.awsrequest import AWSResponse
    from botocore.retries import standard

    code, status = ERROR_KINDS[kind]
    return standard.RetryContext(attempt_number=attempt,
                                 parsed_response={"Error": {"Code": code, "Message": ""}},
                                 http_response=AWSResponse("https://kms.us-east-1.amazonaws.com/", status, {}, None),
                                 request_context={})


def standard_mode(retries: int = 6) -> StandardMode:
    """Standard mode's numbers, computed by the installed botocore's own retry classes:
    its ExponentialBackoff with the random draw pinned to 1 (the longest wait), and its
    RetryQuotaChecker taking tokens from a fresh RetryQuota."""
    from botocore.retries import quota, standard

    detector = standard.ThrottlingErrorDetector(standard.RetryEventAdapter())
    backoff = standard.ExponentialBackoff(random=lambda: 1.0, throttling_detector=detector)
    ceilings = {kind: [backoff.delay_amount(_context(kind, n)) for n in range(1, retries + 1)]
                for kind in ERROR_KINDS}
    costs = {}
    for kind in ERROR_KINDS:
        tokens = quota.RetryQuota()
        start = tokens.available_capacity
        standard.RetryQuotaChecker(tokens, detector).acquire_retry_quota(_context(kind, 1))
        costs[kind] = start - tokens.available_capacity
    return StandardMode(ceilings, costs, quota.RetryQuota().available_capacity)
