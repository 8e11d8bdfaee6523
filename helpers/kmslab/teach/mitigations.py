"""Mitigations for KMS throttling you can count (sources: throttling): data key caching,
S3 Bucket Keys, a quota increase.

Requests are counted in the sandbox's audit trail (CloudTrail-shaped, one event
per KMS request, including requests S3 makes on the caller's behalf).
"""
from __future__ import annotations

from typing import Any


def kms_requests(event_name: str | None = None, error_code: str | None = None, after: int = 0) -> int:
    """How many KMS requests the sandbox's trail holds (optionally one operation, or only those
    recorded after the trail's count was `after`)."""
    from ..service import audit  # the trail; a CloudTrail LookupEvents view may replace this

    if event_name is None and error_code is None:
        return audit.recorded() - after   # every request, even those the bounded trail dropped
    return len(audit.events(event_name=event_name, error_code=error_code, after=after))


class Counter:
    """`with Counter("GenerateDataKey") as c: ...` then `c.count`."""

    def __init__(self, event_name: str | None = None):
        self.event_name, self.count = event_name, 0

    def __enter__(self) -> "Counter":
        from ..service import audit

        self.start = audit.recorded()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.count = kms_requests(self.event_name, after=self.start)


def data_key_caching(sb, key_arn: str, messages: int = 1000, cached: bool = True,
                     max_age: float = 300.0, max_messages_encrypted: int = 100) -> int:
    """GenerateDataKey calls for `messages` ESDK encryptions, with or without the caching CMM."""
    import aws_encryption_sdk
    from aws_encryption_sdk import CommitmentPolicy

    esdk = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(
        key_ids=[key_arn], botocore_session=sb.session()._session)
    kwargs: dict[str, Any] = {"key_provider": provider}
    if cached:
        cache = aws_encryption_sdk.LocalCryptoMaterialsCache(capacity=100)
        kwargs = {"materials_manager": aws_encryption_sdk.CachingCryptoMaterialsManager(
            master_key_provider=provider, cache=cache, max_age=max_age,
            max_messages_encrypted=max_messages_encrypted)}
    with Counter("GenerateDataKey") as counted:
        for i in range(messages):
            esdk.encrypt(source=b"message %d" % i, **kwargs)
    return counted.count


def bucket_keys(sb, key_arn: str, bucket: str, uploads: int = 1000, bucket_key: bool = True) -> int:
    """KMS requests S3 makes for `uploads` SSE-KMS uploads, with or without an S3 Bucket Key."""
    s3 = sb.client("s3")
    with Counter() as counted:
        for i in range(uploads):
            s3.put_object(Bucket=bucket, Key=f"bucket-key-{bucket_key}/{i}", Body=b"x",
                          ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn,
                          BucketKeyEnabled=bucket_key)
    return counted.count


def throttle_rate(sb, quota: float, offered_rate: float, seconds: float = 10.0,
                  quota_name: str = "symmetric") -> float:
    """Fraction of GenerateRandom requests throttled when `offered_rate`/s meet `quota`/s.

    No retries (one attempt per request), on the sandbox clock; the quota is
    set with `kmslab.service.quotas.configure` and left in place.
    """
    from ..service import quotas
    from .retries import retry_config

    quotas.configure(overrides={quota_name: quota})
    kms = sb.client("kms", config=retry_config("standard", total_max_attempts=1))
    requests = int(offered_rate * seconds)
    with Counter("GenerateRandom") as sent:
        for _ in range(requests):
            try:
                kms.generate_random(NumberOfBytes=8)
            except kms.exceptions.ClientError:
                pass
            sb.clock.advance(1 / offered_rate)
    throttled = kms_requests("GenerateRandom", "ThrottlingException", after=sent.start)
    return throttled / max(1, sent.count)


def plot(calls: dict[str, dict[str, int]], throttled: dict[str, dict[str, float]], calls_title: str):
    """Two panels: KMS requests with and without each call-saving mitigation, and the share
    of requests throttled when the load is spread or the quota raised.

    `calls` groups counts by mitigation, e.g. {"ESDK": {"no cache": 40, "cache, 20 msgs/key": 2}};
    the first entry of each group is the baseline (red), the others the mitigated runs (green).
    `throttled` groups shares between 0 and 1 the same way."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    labels, values, colours = [], [], []
    for group, counts in calls.items():
        for i, (label, count) in enumerate(counts.items()):
            labels.append(f"{group}, {label}")
            values.append(count)
            colours.append("#c44e52" if i == 0 else ("#55a868", "#8fbc8f")[(i - 1) % 2])
    bars = left.barh(labels, values, color=colours)
    left.bar_label(bars, padding=2)
    left.invert_yaxis()
    left.set_xlabel("KMS requests")
    left.set_title(calls_title)
    shares = {f"{group}: {label}": share for group, found in throttled.items() for label, share in found.items()}
    bars = right.barh(list(shares), [100 * v for v in shares.values()], color="#4c72b0")
    right.bar_label(bars, fmt="%.0f%%", padding=2)
    right.invert_yaxis()
    right.set_xlim(0, 100)
    right.set_xlabel("% of requests throttled (no retries)")
    right.set_title("Spreading the load and raising the quota")
    fig.tight_layout()
    plt.close(fig)
    return fig
