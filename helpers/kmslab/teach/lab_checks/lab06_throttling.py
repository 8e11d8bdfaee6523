"""Checks for lab 06 (throttling): a botocore retry configuration that survives a burst, a
backoff with full jitter, and data key caching that keeps the KMS calls under a budget
(sources: throttling, retry-default-mode, legacy-retry-mode, standard-retry-mode, adaptive-retry-mode, max-attempts-meaning, backoff-formulas, backoff-and-jitter-post, data-key-caching).

The burst is real: the sandbox's quotas are turned down (`quota_settings`) and the learner's
client is replayed in virtual time (`retries.replay`), so botocore's own retry logic meets
real ThrottlingExceptions and its backoff sleeps advance the sandbox clock. GenerateDataKey
calls are counted in the sandbox's audit trail.
"""
from __future__ import annotations

import random
import statistics
from typing import Any

from .. import mitigations, quota_settings, retries
from ..checks import Wrong, check, expect, require

HINT_RETRIES = "lesson 09, '3. botocore retries it for you, in three modes'"
HINT_BACKOFF = "lesson 09, '3. botocore retries it for you, in three modes' (standard mode's two bases) and '4. The backoff laboratory: why jitter'"
HINT_CACHING = "lesson 09, '5. Mitigations, measured', Data key caching (and lesson 04, '4. The same job with the AWS Encryption SDK')"

#: The burst: BURST GenerateDataKey requests offered at OFFERED_RATE per second, against a
#: symmetric quota scaled down to QUOTA per second (the documented one is 100,000/s in us-east-1, sources: symmetric-request-quota).
BURST, OFFERED_RATE, QUOTA = 30, 10.0, 1.0
MAX_TOTAL_ATTEMPTS = 10
#: The backoff the task asks for is botocore's standard mode (sources: standard-retry-mode): full jitter
#: (sources: backoff-formulas), rand(0, 1) x min(base x 2^(attempt - 1), CAP), with base 1 s after a
#: throttling error and 0.05 s after any other retryable error. The check compares the learner's waits
#: with the ones the installed botocore computes (retries.standard_mode), so these are for messages only.
THROTTLING_BASE, OTHER_BASE, CAP = 1.0, 0.05, 20.0
ATTEMPTS = 15
#: Data key caching: MESSAGES messages, at most BUDGET GenerateDataKey calls, at most
#: MAX_MESSAGES_PER_KEY messages under one data key.
MESSAGES, BUDGET, MAX_MESSAGES_PER_KEY = 100, 5, 50


def botocore_default_mode() -> str:
    """The mode botocore uses when none is set: 'legacy' up to 1.43, 'standard' in 1.44 (sources: retry-default-mode);
    AWS_RETRY_MODE or the config file can change it, so ask botocore."""
    import botocore.session

    return botocore.session.get_session().get_config_variable("retry_mode") or "legacy"


def total_attempts(config: Any) -> tuple[str, int]:
    """(mode, total attempts per request) for a botocore Config, as botocore reads it (sources: retry-default-mode, legacy-retry-mode, standard-retry-mode, max-attempts-meaning)."""
    options = dict(getattr(config, "retries", None) or {})
    mode = options.get("mode") or botocore_default_mode()
    if "total_max_attempts" in options:
        return mode, int(options["total_max_attempts"])
    if "max_attempts" in options:  # counts retries in Config (sources: max-attempts-meaning)
        return mode, int(options["max_attempts"]) + 1
    return mode, retries.DEFAULT_TOTAL_ATTEMPTS.get(mode, 3)


def replay_burst(sb, key_arn: str, config: Any) -> retries.Replay:
    """The burst of this lab, from one client built with `config`, in virtual time."""
    mode, _ = total_attempts(config)
    with quota_settings.enabled(symmetric=QUOTA):
        return retries.replay(lambda _default: sb.client("kms", config=config), mode, BURST, OFFERED_RATE,
                              operation="generate_data_key", KeyId=key_arn, KeySpec="AES_256")


@check("Task 1: a client that survives the burst", hint=HINT_RETRIES)
def check_retry_config(sb: Any, key_arn: Any, retry_config: Any) -> str:
    from botocore.config import Config

    expect(not hasattr(retry_config, "meta"), "retry_config",
           "that is a boto3 client: give the Config itself (the check builds its own client with it)")
    expect(isinstance(retry_config, Config), "retry_config",
           f"retry_config is a {type(retry_config).__name__}: build a botocore.config.Config(retries={{...}})")
    import botocore

    mode, attempts = total_attempts(retry_config)
    expect("mode" in (retry_config.retries or {}), "retry mode",
           f"no mode set, so it depends on the botocore version: this one ({botocore.__version__}) would use "
           f"{mode!r}, botocore up to 1.43 'legacy' (docs/sources.md#retry-default-mode); name it: 'standard' or 'adaptive'")
    expect(mode in ("standard", "adaptive"), "retry mode", f"the mode is {mode!r}: choose 'standard' or 'adaptive'")
    expect(attempts <= MAX_TOTAL_ATTEMPTS, "attempts",
           f"{attempts} attempts per request: at most {MAX_TOTAL_ATTEMPTS}; a client that retries for minutes "
           "hides an outage from its callers"
           + (f" (max_attempts={attempts - 1} counts retries, so {attempts} attempts: use total_max_attempts, "
              "docs/sources.md#max-attempts-meaning)" if "max_attempts" in (retry_config.retries or {})
              and "total_max_attempts" not in (retry_config.retries or {}) else ""))
    result = replay_burst(sb, key_arn, retry_config)
    if result.failed:
        raise Wrong("attempts", f"{result.failed} of {BURST} requests still failed with ThrottlingException after "
                    f"{attempts} attempts each ({mode} mode): give the client more attempts",
                    f"{HINT_RETRIES}; in Config(retries=...), total_max_attempts counts attempts and "
                    "max_attempts counts retries (docs/sources.md#max-attempts-meaning)")
    return (f"all {BURST} requests succeeded ({mode} mode, {attempts} attempts at most): "
            f"{result.retries} retries, {result.virtual_seconds:.0f} s of sandbox time")


# -- task 2 ------------------------------------------------------------------------------------
def _kind(throttled: bool) -> str:
    return "a throttling error" if throttled else "another retryable error"


def _samples(backoff: Any, attempt: int, throttled: bool, n: int = 200) -> list[float]:
    values = [backoff(attempt, throttled) for _ in range(n)]
    odd = [v for v in values if isinstance(v, bool) or not isinstance(v, (int, float))]
    expect(not odd, "backoff", f"backoff({attempt}, {throttled}) returned {odd[0] if odd else 0!r}: return the "
           "wait in seconds, a number")
    return [float(v) for v in values]


@check("Task 2: standard mode's backoff", hint=HINT_BACKOFF)
def check_backoff(backoff: Any) -> str:
    expect(callable(backoff), "backoff",
           f"backoff is a {type(backoff).__name__}: define a function backoff(attempt, throttled)")
    ceilings = retries.standard_mode(ATTEMPTS).ceilings    # what the installed botocore computes
    state = random.getstate()
    random.seed(6)  # the learner's jitter most likely uses the global random: same samples every run
    try:
        samples = {(n, throttled): _samples(backoff, n, throttled)
                   for throttled in (True, False) for n in range(1, ATTEMPTS + 1)}
    except (TypeError, ValueError) as error:  # wrong signature, or not a number
        raise Wrong("backoff", f"backoff(attempt, throttled) raised {type(error).__name__}: {error}; the check "
                    "calls it with two arguments, the retry number (1, 2, 3, ...) and whether the error was a "
                    "throttling error (True or False), and expects a number of seconds") from None
    finally:
        random.setstate(state)
    first = ceilings["throttling"][0]
    expect(not 500 <= max(samples[1, True]) / first <= 2001, "units",
           f"backoff(1, True) reached {max(samples[1, True]):.3g}, about 1000 times {first:g} s: return seconds, "
           "not milliseconds")
    for (n, throttled), values in samples.items():
        expect(min(values) >= 0, "backoff", f"backoff({n}, {throttled}) returned {min(values):g}: a wait is never "
               "negative")
        expect(max(values) <= CAP + 1e-9, "cap", f"backoff({n}, {throttled}) returned {max(values):g} s: cap it at "
               f"{CAP:g} s, as standard mode does (min(base * 2 ** (attempt - 1), {CAP:g}))")
    fixed = [key for key, values in samples.items() if len(set(values)) == 1]
    expect(not fixed, "jitter", f"backoff{fixed[0] if fixed else ()} always returns the same wait: clients that "
           "failed together retry together; multiply by random.random()")
    expect(max(samples[5, True]) > max(samples[1, True]) * 2, "growth",
           "the wait does not grow with the attempt: make the upper bound base * 2 ** (attempt - 1)")
    for throttled, kind, base in ((True, "throttling", THROTTLING_BASE), (False, "other", OTHER_BASE)):
        part = "throttling base" if throttled else "other base"
        for n in (1, 4, 8, 15):
            bound, values = ceilings[kind][n - 1], samples[n, throttled]
            high, low = max(values), min(values)
            if n == 1 and 1.6 * bound <= high <= 2 * bound + 1e-9:
                raise Wrong("exponent", f"backoff(1, {throttled}) reached {high:.3g} s, twice {bound:g} s: the "
                            "first retry waits at most the base, so the exponent is attempt - 1")
            if not throttled and high > 2 * bound + 1e-9 and \
                    abs(high - max(samples[n, True])) <= 0.25 * max(samples[n, True]):
                raise Wrong(part, f"backoff({n}, False) waits as long as after a throttling error (up to "
                            f"{high:.3g} s): after {_kind(False)} (a timeout, HTTP 500, 503) standard mode starts "
                            f"from {OTHER_BASE:g} s, not {THROTTLING_BASE:g} s")
            expect(0.8 * bound <= high <= bound + 1e-9, part,
                   f"backoff({n}, {throttled}) reached {high:.3g} s; after {_kind(throttled)} standard mode waits "
                   f"up to min({base:g} * 2 ** ({n} - 1), {CAP:g}) = {bound:.3g} s")
            expect(low <= 0.2 * bound, "full jitter",
                   f"backoff({n}, {throttled}) never went below {low:.3g} s: full jitter draws from 0 up to the "
                   f"bound ({bound:.3g} s); equal jitter keeps half of it and does more work "
                   "(docs/sources.md#backoff-formulas, docs/sources.md#backoff-and-jitter-post)")
    mean = statistics.fmean(samples[ATTEMPTS, True])
    return (f"as botocore's standard mode: full jitter from {THROTTLING_BASE:g} s after a throttling error and "
            f"{OTHER_BASE:g} s after another error, capped at {CAP:g} s (backoff({ATTEMPTS}, True) averages "
            f"{mean:.0f} s)")


# -- task 3 ------------------------------------------------------------------------------------
def _messages_per_data_key(headers: list[Any]) -> tuple[int, set[bytes]]:
    """The most messages one data key encrypted, and the KMS keys that wrapped the data keys."""
    groups: dict[frozenset, int] = {}
    wrapping: set[bytes] = set()
    for header in headers:
        keys = frozenset(edk.encrypted_data_key for edk in header.encrypted_data_keys)
        groups[keys] = groups.get(keys, 0) + 1
        wrapping |= {edk.key_provider.key_info for edk in header.encrypted_data_keys}
    return max(groups.values()), wrapping


@check("Task 3: data key caching under a budget", hint=HINT_CACHING)
def check_caching(sb: Any, key_arn: Any, cmm: Any) -> str:
    import aws_encryption_sdk
    from aws_encryption_sdk import CommitmentPolicy

    require(key_arn, "key_arn")
    expect(isinstance(cmm, aws_encryption_sdk.CachingCryptoMaterialsManager), "materials manager",
           f"cmm is a {type(cmm).__name__}: wrap your key provider in "
           "aws_encryption_sdk.CachingCryptoMaterialsManager(master_key_provider=..., cache=..., max_age=...)")
    esdk = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    with mitigations.Counter("GenerateDataKey") as calls:
        headers = [esdk.encrypt(source=b"order %d" % i, materials_manager=cmm)[1] for i in range(MESSAGES)]
    most, wrapping = _messages_per_data_key(headers)
    expect(wrapping == {key_arn.encode()}, "key provider",
           f"the data keys were wrapped by {sorted(k.decode() for k in wrapping)}, not by key_arn")
    if calls.count > BUDGET:
        raise Wrong("KMS calls", f"{calls.count} GenerateDataKey calls for {MESSAGES} messages; the budget is "
                    f"{BUDGET}: let a cached data key serve more messages (max_messages_encrypted), for long "
                    "enough (max_age, in seconds)")
    expect(most <= MAX_MESSAGES_PER_KEY, "security threshold",
           f"one data key encrypted {most} messages; at most {MAX_MESSAGES_PER_KEY} may share a data key: "
           "set max_messages_encrypted")
    return (f"{calls.count} GenerateDataKey call(s) for {MESSAGES} messages, at most {most} messages "
            "under one data key")
