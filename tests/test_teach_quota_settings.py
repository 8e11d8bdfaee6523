"""teach.quota_settings: a lesson turns the sandbox's KMS quotas on, down and off (sources: symmetric-request-quota, asymmetric-request-quotas, other-request-quotas, quotas-count-service-requests, throttling)."""
from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from kmslab import sandbox
from kmslab.teach import quota_settings

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="module")
def kms():
    box = sandbox.start()
    yield box.client("kms", config=NO_RETRIES)
    box.stop()
    quota_settings.off()


@pytest.fixture(autouse=True)
def quotas_off_after():
    yield
    quota_settings.off()


def burst(kms, n: int) -> list[str]:
    """Send n GenerateRandom at one instant of the frozen clock; the outcome of each."""
    seen = []
    for _ in range(n):
        try:
            kms.generate_random(NumberOfBytes=8)
            seen.append("ok")
        except ClientError as exc:
            seen.append(exc.response["Error"]["Code"])
    return seen


def test_off_by_default_nothing_is_throttled(kms):
    assert quota_settings.current()["enabled"] is False
    assert burst(kms, 30) == ["ok"] * 30


def test_enable_with_an_override_throttles_after_the_burst(kms):
    settings = quota_settings.enable(symmetric=5)
    assert settings["enabled"] and settings["overrides"] == {"symmetric": 5.0}
    assert quota_settings.rate("symmetric") == 5
    assert burst(kms, 7) == ["ok"] * 5 + ["ThrottlingException"] * 2
    [bucket] = [u for u in quota_settings.usage() if u["quota"] == "symmetric"]
    assert (bucket["allowed"], bucket["throttled"]) == (5, 2)


def test_scale_multiplies_the_documented_rate(kms):
    quota_settings.enable(scale=0.00003)        # us-east-1: 100,000/s -> 3/s
    assert quota_settings.rate("symmetric") == pytest.approx(3)
    assert burst(kms, 4).count("ThrottlingException") == 1


def test_off_and_the_context_manager(kms):
    with quota_settings.enabled(symmetric=1):
        assert burst(kms, 2) == ["ok", "ThrottlingException"]
    assert quota_settings.current()["enabled"] is False
    assert burst(kms, 5) == ["ok"] * 5


def test_documented_numbers_are_the_current_ones():
    table = dict(quota_settings.documented("us-east-1"))
    assert table["Cryptographic operations (symmetric) request rate"] == 100_000   # sources: symmetric-request-quota
    assert dict(quota_settings.documented("eu-central-1"))[
        "Cryptographic operations (symmetric) request rate"] == 20_000             # sources: symmetric-request-quota
    assert dict(quota_settings.documented("sa-east-1"))[
        "Cryptographic operations (symmetric) request rate"] == 10_000             # sources: symmetric-request-quota
    assert table["Cryptographic operations (RSA) request rate"] == 1_000           # sources: asymmetric-request-quotas
    assert table["CreateKey request rate"] == 5                                     # sources: other-request-quotas
    assert table["GenerateDataKeyPair (RSA_2048) request rate"] == 20               # sources: asymmetric-request-quotas
    # documented() reports AWS's numbers even while the sandbox is scaled down
    quota_settings.enable(symmetric=2)
    assert dict(quota_settings.documented())["Cryptographic operations (symmetric) request rate"] == 100_000
