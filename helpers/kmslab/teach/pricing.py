"""A KMS monthly bill calculator, for lessons (us-east-1 list prices, sources: key-price, free-of-charge, request-prices).

    from kmslab.teach import pricing
    bill = pricing.monthly_bill(keys=3, rotations=[0, 1, 5], requests={"symmetric": 2_000_000})
    print(bill.table())

Every number below is from sources: key-price, free-of-charge, request-prices (https://aws.amazon.com/kms/pricing/).
Older study notes say "$0.03 cents per 10,000 calls": wrong units, it is $0.03
(three US cents) per 10,000 requests, $0.000003 per request.

Two choices of this calculator that are not AWS facts, and are said so where used:
- proration: a key that exists part of the month pays for its hours out of the
  hours of a 30-day month (AWS: "prorated hourly", sources: key-price);
- S3 Bucket Keys: modelled as one KMS request per `OBJECTS_PER_BUCKET_KEY` object
  requests (an assumption; AWS says only "up to 99 percent" fewer requests, sources: s3-bucket-keys).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

KEY_MONTH = 1.00                 # (sources: key-price) $1/month per KMS key (each MRK replica too), prorated hourly
ROTATION_MONTH = 1.00            # (sources: key-price) each of the first two rotations adds $1/month ...
BILLED_ROTATIONS = 2             # (sources: key-price) ... capped at the second rotation
MAX_KEY_MONTH = KEY_MONTH + BILLED_ROTATIONS * ROTATION_MONTH   # so at most $3/month per key
FREE_REQUESTS = 20_000           # (sources: request-prices) per month, all Regions together
HOURS_IN_MONTH = 30 * 24         # calculator's choice for proration (not an AWS number)

#: (sources: request-prices) dollars per 10,000 requests, and sources: request-prices: whether the kind counts toward the free tier.
REQUEST_PRICES: dict[str, tuple[float, bool]] = {
    "symmetric": (0.03, True),                # symmetric keys (Encrypt, Decrypt, GenerateDataKey, ...)
    "rsa_2048": (0.03, False),                # requests involving RSA_2048 keys: same price, asymmetric
    "asymmetric": (0.15, False),              # asymmetric requests other than RSA 2048
    "ecc_generate_data_key_pair": (0.10, False),
    "rsa_generate_data_key_pair": (12.00, False),
}

#: Assumption for the S3 Bucket Key curve: one KMS request per this many object
#: requests. 100 gives exactly the "up to 99 percent" saving AWS quotes (sources: s3-bucket-keys); the
#: real number depends on how many requesters (IAM sessions) use the bucket and how
#: long each bucket key lives.
OBJECTS_PER_BUCKET_KEY = 100


def per_request(kind: str = "symmetric") -> float:
    """The price of one request of `kind`, in dollars ($0.03 / 10,000 = $0.000003)."""
    return REQUEST_PRICES[_kind(kind)][0] / 10_000


def rotation_surcharge(rotations: int) -> float:
    """Monthly surcharge for a key rotated `rotations` times: $1 for each of the first two (sources: key-price)."""
    if rotations < 0:
        raise ValueError("rotations cannot be negative")
    return min(rotations, BILLED_ROTATIONS) * ROTATION_MONTH


def key_cost(rotations: int = 0, hours: float | None = None, *, aws_managed: bool = False,
             pending_deletion: bool = False) -> float:
    """One key's monthly fee: $1 plus the rotation surcharge, prorated by hours (sources: key-price, free-of-charge).

    AWS managed keys and keys scheduled for deletion have no monthly fee (sources: free-of-charge, aws-managed-keys).
    """
    if aws_managed or pending_deletion:
        return 0.0
    fraction = 1.0 if hours is None else min(max(hours, 0.0), HOURS_IN_MONTH) / HOURS_IN_MONTH
    return (KEY_MONTH + rotation_surcharge(rotations)) * fraction


def request_cost(requests: Mapping[str, int], free_tier: bool = True) -> float:
    """Dollars for a month of requests by kind; the free 20,000 apply to eligible kinds only (sources: request-prices)."""
    counts = {_kind(k): int(n) for k, n in requests.items()}
    if any(n < 0 for n in counts.values()):
        raise ValueError("request counts cannot be negative")
    free = FREE_REQUESTS if free_tier else 0
    total = 0.0
    for kind, n in counts.items():
        price, eligible = REQUEST_PRICES[kind]
        if eligible:
            billed = max(0, n - free)
            free = max(0, free - n)
        else:
            billed = n
        total += billed * price / 10_000
    return total


@dataclass(frozen=True)
class Bill:
    keys: float        # monthly key fees
    rotations: float   # the part of `keys` that is rotation surcharge
    requests: float    # request charges after the free tier

    @property
    def total(self) -> float:
        return self.keys + self.requests

    def table(self) -> str:
        """The bill as short text lines (rounded to cents, for notebook output)."""
        return "\n".join([
            f"key fees        ${self.keys - self.rotations:>10,.2f}",
            f"rotation fees   ${self.rotations:>10,.2f}",
            f"requests        ${self.requests:>10,.2f}",
            f"total           ${self.total:>10,.2f}",
        ])


def monthly_bill(keys: int = 0, rotations: Iterable[int] | None = None,
                 requests: Mapping[str, int] | None = None, hours: float | None = None,
                 free_tier: bool = True) -> Bill:
    """A month's bill for `keys` customer managed keys, each rotated `rotations[i]` times."""
    rotations = list(rotations) if rotations is not None else [0] * keys
    if len(rotations) != keys:
        raise ValueError("give one rotation count per key")
    fees = sum(key_cost(r, hours) for r in rotations)
    surcharge = sum(key_cost(r, hours) - key_cost(0, hours) for r in rotations)
    return Bill(fees, surcharge, request_cost(requests or {}, free_tier))


def kms_requests_for_s3(object_requests: int, bucket_keys: bool = False,
                        objects_per_bucket_key: int = OBJECTS_PER_BUCKET_KEY) -> int:
    """KMS requests S3 makes for SSE-KMS object requests (one per PUT/GET without Bucket Keys).

    With Bucket Keys this is the calculator's stated assumption (OBJECTS_PER_BUCKET_KEY).
    """
    if not bucket_keys:
        return object_requests
    return -(-object_requests // objects_per_bucket_key)  # ceiling division


def s3_monthly_cost(object_requests: int, bucket_keys: bool = False, keys: int = 1,
                    objects_per_bucket_key: int = OBJECTS_PER_BUCKET_KEY) -> float:
    """Monthly KMS cost of SSE-KMS for `object_requests` S3 requests under `keys` customer keys."""
    calls = kms_requests_for_s3(object_requests, bucket_keys, objects_per_bucket_key)
    return monthly_bill(keys=keys, requests={"symmetric": calls}).total


def plot_cost_vs_requests(max_requests: int = 1_000_000_000,
                          objects_per_bucket_key: int = OBJECTS_PER_BUCKET_KEY):
    """Figure: monthly KMS cost of SSE-KMS against S3 object requests, with and without Bucket Keys."""
    import matplotlib.pyplot as plt
    import numpy as np

    x = np.unique(np.logspace(3, np.log10(max_requests), 60).astype(np.int64))
    without = [s3_monthly_cost(int(n), False) for n in x]
    with_bk = [s3_monthly_cost(int(n), True, objects_per_bucket_key=objects_per_bucket_key) for n in x]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.loglog(x, without, label="SSE-KMS, no Bucket Key (1 KMS request per object request)",
              color="#c0392b", lw=2)
    ax.loglog(x, with_bk, label=f"with S3 Bucket Keys (assumed 1 KMS request per "
                                f"{objects_per_bucket_key} object requests)", color="#2e86c1", lw=2)
    ax.axvline(FREE_REQUESTS, color="grey", ls=":", lw=1)
    ax.text(FREE_REQUESTS * 1.1, 30, "20,000 free\nrequests/month", fontsize=8, color="grey")
    ax.axhline(KEY_MONTH, color="grey", ls="--", lw=1)
    ax.text(x[0] * 1.1, KEY_MONTH * 1.15, r"\$1 key fee", fontsize=8, color="grey")
    ax.set_xlabel("S3 object requests per month (PUT + GET)")
    ax.set_ylabel(r"KMS cost per month (US\$)")
    ax.set_title(r"One customer managed key: \$1/month + \$0.03 per 10,000 requests")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    plt.close(fig)  # shown by the caller (nbval records an auto-displayed figure twice)
    return fig


def _kind(kind: str) -> str:
    if kind not in REQUEST_PRICES:
        raise ValueError(f"unknown request kind {kind!r}; one of {', '.join(REQUEST_PRICES)}")
    return kind
