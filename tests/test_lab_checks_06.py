"""Lab 06 checks (throttling): the right answers, typical wrong answers and the TODO case.
The burst is replayed for real against the sandbox's quotas, in virtual time."""
from __future__ import annotations

import random

import aws_encryption_sdk
import botocore.session
import pytest
from botocore.config import Config

from kmslab import sandbox
from kmslab.teach import quota_settings
from kmslab.teach.checks import OK, TODO, WRONG
from kmslab.teach.lab_checks import lab06_throttling as lab


@pytest.fixture(scope="module")
def world():
    sb = sandbox.start()
    key_arn = sb.client("kms").create_key()["KeyMetadata"]["Arn"]
    yield sb, key_arn
    quota_settings.off()
    sb.stop()


# -- task 1: retry configuration ------------------------------------------------------------------
@pytest.mark.parametrize("config", [
    Config(retries={"mode": "standard", "total_max_attempts": 5}),
    Config(retries={"mode": "adaptive"}),   # its client-side rate limiting spreads the burst
])
def test_retry_right(world, config):
    sb, key_arn = world
    fb = lab.check_retry_config(sb, key_arn, config)
    assert fb.status == OK, fb.text
    assert f"all {lab.BURST} requests succeeded" in fb.message
    assert quota_settings.current()["enabled"] is False   # the check turns the quotas off again


@pytest.mark.parametrize("config, part, words", [
    (Config(), "retry mode", "no mode set, so it depends on the botocore version"),
    (Config(retries={"total_max_attempts": 5}), "retry mode", "botocore up to 1.43 'legacy' (docs/sources.md#retry-default-mode)"),
    (Config(retries={"mode": "legacy", "total_max_attempts": 8}), "retry mode", "the mode is 'legacy': choose"),
    (Config(retries={"mode": "standard"}), "attempts", "5 of 30 requests still failed with ThrottlingException "
                                                       "after 3 attempts each"),
    # max_attempts counts retries (sources: max-attempts-meaning): 2 retries = 3 attempts, not enough
    (Config(retries={"mode": "standard", "max_attempts": 2}), "attempts", "after 3 attempts each"),
    (Config(retries={"mode": "standard", "total_max_attempts": 1}), "attempts", "after 1 attempts each"),
    (Config(retries={"mode": "standard", "total_max_attempts": 50}), "attempts", "50 attempts per request"),
    ({"mode": "standard", "total_max_attempts": 5}, "retry_config", "retry_config is a dict"),
])
def test_retry_wrong(world, config, part, words):
    sb, key_arn = world
    fb = lab.check_retry_config(sb, key_arn, config)
    assert fb.status == WRONG and fb.part == part, fb.text
    assert words in fb.message, fb.message


def test_retry_wrong_attempts_hint_names_k5(world):
    sb, key_arn = world
    fb = lab.check_retry_config(sb, key_arn, Config(retries={"mode": "standard", "max_attempts": 2}))
    assert "max_attempts counts retries (docs/sources.md#max-attempts-meaning)" in fb.hint


def test_retry_todo(world):
    sb, key_arn = world
    assert lab.check_retry_config(sb, key_arn, ...).status == TODO


# -- task 2: standard mode's backoff ----------------------------------------------------------------
def standard(attempt, throttled):
    base = 1.0 if throttled else 0.05
    return random.random() * min(base * 2 ** (attempt - 1), 20.0)


def test_backoff_right():
    fb = lab.check_backoff(standard)
    assert fb.status == OK, fb.text
    assert "full jitter from 1 s after a throttling error and 0.05 s after another error, capped at 20 s" in fb.message
    assert lab.check_backoff(standard).message == fb.message   # seeded: the same words every run


def test_backoff_agrees_with_the_installed_botocore():
    """The check's bounds come from botocore itself; the sources entry states the same numbers."""
    from kmslab import sources
    from kmslab.teach import retries

    mode = retries.standard_mode(lab.ATTEMPTS)
    values = sources.load()["standard-retry-mode"].values
    assert mode.ceilings["throttling"][0] == values["throttling_base_seconds"] == lab.THROTTLING_BASE
    assert mode.ceilings["other"][0] == values["other_base_seconds"] == lab.OTHER_BASE
    assert max(mode.ceilings["throttling"]) == values["max_backoff_seconds"] == lab.CAP


def _equal_jitter(n, throttled):
    t = min(20, (1.0 if throttled else 0.05) * 2 ** (n - 1))
    return t / 2 + random.uniform(0, t / 2)


@pytest.mark.parametrize("backoff, part, words", [
    (_equal_jitter, "full jitter", "backoff(1, True) never went below 0.5 s"),
    (lambda n, t: min(20, (1.0 if t else 0.05) * 2 ** (n - 1)), "jitter", "always returns the same wait"),
    (lambda n, t: random.random() * (1.0 if t else 0.05) * 2 ** (n - 1), "cap", "cap it at 20 s"),
    (lambda n, t: random.uniform(0, 1), "growth", "does not grow"),
    (lambda n, t: random.random() * min(20, 2 ** (n - 1)), "other base", "starts from 0.05 s, not 1 s"),
    (lambda n, t: random.random() * min(20, (1.0 if t else 0.05) * 2 ** n), "exponent", "attempt - 1"),
    (lambda n, t: random.random() * min(20, (0.05 if t else 1.0) * 2 ** (n - 1)), "throttling base",
     "backoff(1, True) reached"),
    (lambda n, t: random.uniform(0, min(20, 0.1 * 2 ** n)), "throttling base",
     "after a throttling error standard mode waits up to min(1 * 2 ** (1 - 1), 20) = 1 s"),
    (lambda n, t: random.uniform(-1, 1), "backoff", "a wait is never negative"),
    (0.5, "backoff", "define a function"),
], ids=["equal jitter", "no jitter", "no cap", "no growth", "one base", "exponent attempt", "bases swapped",
        "the blog's base", "negative", "not a function"])
def test_backoff_wrong(backoff, part, words):
    fb = lab.check_backoff(backoff)
    assert fb.status == WRONG and fb.part == part, fb.text
    assert words in fb.message, fb.message


def test_backoff_todo():
    assert lab.check_backoff(...).status == TODO


# -- task 3: data key caching ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def provider(world):
    _, key_arn = world
    return aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[key_arn],
                                                            botocore_session=botocore.session.Session())


def caching(provider, messages, max_age=300.0):
    return aws_encryption_sdk.CachingCryptoMaterialsManager(
        master_key_provider=provider, cache=aws_encryption_sdk.LocalCryptoMaterialsCache(capacity=10),
        max_age=max_age, max_messages_encrypted=messages)


def test_caching_right(world, provider):
    sb, key_arn = world
    fb = lab.check_caching(sb, key_arn, caching(provider, 50))
    assert fb.status == OK, fb.text
    assert fb.message == "2 GenerateDataKey call(s) for 100 messages, at most 50 messages under one data key"


@pytest.mark.parametrize("messages, max_age, part, words", [
    (1, 300.0, "KMS calls", "100 GenerateDataKey calls for 100 messages; the budget is 5"),
    (10, 300.0, "KMS calls", "10 GenerateDataKey calls"),
    (50, 1e-6, "KMS calls", "100 GenerateDataKey calls"),     # entries expire at once (max_age in seconds)
    (1000, 300.0, "security threshold", "one data key encrypted 100 messages; at most 50"),
])
def test_caching_wrong(world, provider, messages, max_age, part, words):
    sb, key_arn = world
    fb = lab.check_caching(sb, key_arn, caching(provider, messages, max_age))
    assert fb.status == WRONG and fb.part == part, fb.text
    assert words in fb.message, fb.message


def test_caching_without_a_cache(world, provider):
    sb, key_arn = world
    fb = lab.check_caching(sb, key_arn, provider)
    assert fb.status == WRONG and fb.part == "materials manager"
    assert "wrap your key provider in aws_encryption_sdk.CachingCryptoMaterialsManager" in fb.message


def test_caching_under_another_key(world):
    sb, key_arn = world
    other = sb.client("kms").create_key()["KeyMetadata"]["Arn"]
    prov = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[other],
                                                            botocore_session=botocore.session.Session())
    fb = lab.check_caching(sb, key_arn, caching(prov, 50))
    assert fb.status == WRONG and fb.part == "key provider" and other in fb.message


def test_caching_todo(world):
    sb, key_arn = world
    assert lab.check_caching(sb, key_arn, ...).status == TODO


# -- more wrong answers, found by working through the starter ---------------------------------------
def test_retry_max_attempts_off_by_one_is_explained(world):
    sb, key_arn = world
    fb = lab.check_retry_config(sb, key_arn, Config(retries={"mode": "standard", "max_attempts": 10}))
    assert fb.status == WRONG and fb.part == "attempts", fb.text
    assert "11 attempts per request" in fb.message and "max_attempts=10 counts retries" in fb.message


def test_retry_a_client_instead_of_its_config(world):
    sb, key_arn = world
    client = sb.client("kms", config=Config(retries={"mode": "standard", "total_max_attempts": 5}))
    fb = lab.check_retry_config(sb, key_arn, client)
    assert fb.status == WRONG and fb.part == "retry_config" and "boto3 client" in fb.message, fb.text


@pytest.mark.parametrize("backoff, part, words", [
    (lambda n, t: random.random() * min(20000, (1000 if t else 50) * 2 ** (n - 1)), "units", "not milliseconds"),
    (lambda attempt: random.random() * min(20, 2 ** (attempt - 1)), "backoff", "two arguments"),
    (lambda attempt, throttled, cap: 0.0, "backoff", "two arguments"),
    (lambda n, t: None, "backoff", "backoff(1, True) returned None"),
], ids=["milliseconds", "one parameter", "three parameters", "returns None"])
def test_backoff_more_wrong(backoff, part, words):
    fb = lab.check_backoff(backoff)
    assert fb.status == WRONG and fb.part == part and words in fb.message, fb.text
    assert "Traceback" not in fb.text


def test_backoff_with_default_parameters_passes():
    def backoff(attempt, throttled, base=None, cap=20.0):
        base = base or (1.0 if throttled else 0.05)
        return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))

    assert lab.check_backoff(backoff).ok


def test_caching_off_by_one_threshold_and_a_bare_cache(world, provider):
    sb, key_arn = world
    fb = lab.check_caching(sb, key_arn, caching(provider, 51))
    assert fb.status == WRONG and fb.part == "security threshold" and "51 messages" in fb.message, fb.text
    fb = lab.check_caching(sb, key_arn, aws_encryption_sdk.LocalCryptoMaterialsCache(capacity=10))
    assert fb.status == WRONG and fb.part == "materials manager" and "LocalCryptoMaterialsCache" in fb.message
