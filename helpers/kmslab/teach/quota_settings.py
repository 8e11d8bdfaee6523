"""Turn the sandbox's KMS request quotas on, off or down, from a lesson.

Quotas are off by default in the sandbox (a frozen clock never refills a bucket).
A lesson turns them on, usually scaled down so that a few dozen calls throttle:

    from kmslab.teach import quota_settings
    quota_settings.enable(symmetric=20)       # 20 symmetric requests/s in every Region
    quota_settings.documented("us-east-1")    # the real numbers (sources: symmetric-request-quota, asymmetric-request-quotas, other-request-quotas)
    quota_settings.off()                      # back to no throttling

This is a thin wrapper over kmslab.service.quotas, so lessons need not import the
service layer; the numbers and the throttling itself live there (one place).
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

#: Quotas worth a row in a lesson's table, in the order AWS's page lists them.
LESSON_QUOTAS = ("symmetric", "rsa", "ecc", "ml-dsa", "GenerateDataKeyPair:RSA_2048",
                 "GenerateDataKeyPair:ECC_NIST_P256", "CreateKey", "CreateGrant",
                 "DescribeKey", "PutKeyPolicy", "ScheduleKeyDeletion", "RotateKeyOnDemand")


def _quotas():
    from ..service import quotas

    return quotas


def enable(scale: float | None = None, **overrides: float) -> dict[str, Any]:
    """Turn throttling on. `scale` multiplies every documented rate; keyword overrides set
    exact rates (requests/s) by quota name: symmetric=20, rsa=5, CreateKey=2, ...
    Names with characters Python keywords cannot hold go through `overrides=` of configure:
    use `enable(**{"GenerateDataKeyPair:RSA_2048": 2})`. Buckets start full."""
    return _quotas().configure(scale=scale, overrides=overrides or None)


def off() -> dict[str, Any]:
    """Quotas off (the sandbox default): no request is ever throttled."""
    return _quotas().reset()


def current() -> dict[str, Any]:
    """{"enabled": bool, "scale": float, "overrides": {...}}"""
    return _quotas().settings()


def rate(quota: str, region: str = "us-east-1") -> float:
    """The rate the sandbox applies now to `quota` (requests per second)."""
    return _quotas().rate(quota, region)


def documented(region: str = "us-east-1", names: tuple[str, ...] = LESSON_QUOTAS) -> list[tuple[str, float]]:
    """(AWS's quota name, documented requests/s) in `region`, whatever the sandbox is set to."""
    q = _quotas()
    return [(q.quota_name(name), q.default_rate(name, region)) for name in names]


def usage() -> list[dict[str, Any]]:
    """Each quota bucket used since quotas were turned on: account, region, quota, rate,
    allowed and throttled counts."""
    return _quotas().usage()


@contextlib.contextmanager
def enabled(scale: float | None = None, **overrides: float) -> Iterator[dict[str, Any]]:
    """`with quota_settings.enabled(symmetric=20): ...`, then quotas off again."""
    try:
        yield enable(scale, **overrides)
    finally:
        off()
