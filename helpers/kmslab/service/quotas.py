"""KMS request quotas: token buckets on the sandbox clock, ThrottlingException over quota.

AWS (sources: symmetric-request-quota, asymmetric-request-quotas, other-request-quotas, quotas-count-service-requests, throttling; https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html, "Request quotas for
each AWS KMS API operation"):
- each quota is counted per account and Region, independently of the others;
- cryptographic operations share one quota per key type: symmetric (including
  HMAC keys; GenerateRandom too), RSA, ECC/SM2, ML-DSA;
- GenerateDataKeyPair(WithoutPlaintext) has its own quota per KeyPairSpec;
- management operations each have their own quota (CreateKey 5/s, ...);
- requests an AWS service makes on your behalf, and cross-account requests,
  count against the *caller's* account (sources: quotas-count-service-requests), i.e. `call.account_id`;
- over quota: ThrottlingException, HTTP 400, with the message in sources: throttling.

Sandbox choices (documented, not AWS facts):
- Enforcement is OFF until a lesson asks for it (`configure()`), because a
  frozen sandbox clock never moves: with real quotas on, the sixth CreateKey of
  any test would be throttled forever. `python -m kmslab serve --quotas` (or
  --quota-scale / --quota) turns it on for the local endpoint.
- A bucket holds one second of its rate (at least one token) and refills
  continuously from `kmslab.clock.current()`; "N per second" therefore means a
  burst of N at once, then N more every second.
- The stage runs at priority THROTTLE (20): before key resolution (30) and
  authorization (40), like a front door. It looks up the key spec itself
  (read-only dict lookups in moto's backend, never creating anything); a key
  it cannot find is charged to the symmetric quota. A throttled request stops
  here, so it changes nothing: a throttled CreateKey creates no key.
- Each custom key store has its own quota for cryptographic operations on its
  keys (and GenerateRandom in it): 1,800/s (sources: other-request-quotas), counted in the caller's account,
  on top of the shared symmetric quota. Quota name "CustomKeyStore:<store id>".
- Operations the quota table does not list get DEFAULT_RATE (5/s, the most
  common management quota).
"""
from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from typing import Any

from .. import clock as _clock
from . import dispatch, resets
from .errors import KmsError

# -- the documented numbers ----------------------------------------------------

#: (sources: throttling) AWS's message for a throttled KMS request.
THROTTLE_MESSAGE = "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."

#: (sources: symmetric-request-quota) Regions with a larger shared symmetric quota; all others get 10,000/s.
SYMMETRIC_BY_REGION = {
    **dict.fromkeys(("us-east-2", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
                     "eu-central-1", "eu-west-2"), 20_000.0),
    **dict.fromkeys(("us-east-1", "us-west-2", "eu-west-1"), 100_000.0),
}
SYMMETRIC_DEFAULT_RATE = 10_000.0

#: Short names of the shared cryptographic quotas, with AWS's Service Quotas names.
SHARED = {
    "symmetric": "Cryptographic operations (symmetric) request rate",
    "rsa": "Cryptographic operations (RSA) request rate",
    "ecc": "Cryptographic operations (ECC and SM2) request rate",
    "ml-dsa": "Cryptographic operations (ML-DSA) request rate",
}
#: (sources: asymmetric-request-quotas) RSA, ECC/SM2 and ML-DSA keys: 1,000/s each, shared across keys of that type.
ASYMMETRIC_RATE = 1_000.0

#: sources: asymmetric-request-quotas and the AWS KMS Developer Guide: GenerateDataKeyPair(WithoutPlaintext), per KeyPairSpec,
#: outside the China Regions. Quota names are "GenerateDataKeyPair:<spec>".
DATA_KEY_PAIR_RATES = {
    "ECC_NIST_P256": 100.0, "ECC_NIST_P384": 100.0, "ECC_NIST_P521": 100.0,
    "ECC_SECG_P256K1": 100.0, "ECC_NIST_EDWARDS25519": 100.0,
    "RSA_2048": 20.0, "RSA_3072": 4.0, "RSA_4096": 1.0, "SM2": 25.0,
}

#: sources: other-request-quotas and the AWS KMS Developer Guide table: management operations, requests per second.
OPERATION_RATES = {
    "CancelKeyDeletion": 5, "ConnectCustomKeyStore": 5, "CreateAlias": 5,
    "CreateCustomKeyStore": 5, "CreateGrant": 50, "CreateKey": 5, "DeleteAlias": 15,
    "DeleteCustomKeyStore": 5, "DeleteImportedKeyMaterial": 15,
    "DescribeCustomKeyStores": 5, "DescribeKey": 2000, "DisableKey": 5,
    "DisableKeyRotation": 5, "DisconnectCustomKeyStore": 5, "EnableKey": 5,
    "EnableKeyRotation": 15, "GetKeyLastUsage": 5, "GetKeyPolicy": 1000,
    "GetKeyRotationStatus": 1000, "GetParametersForImport": 1, "GetPublicKey": 2000,
    "ImportKeyMaterial": 15, "ListAliases": 500, "ListGrants": 100, "ListKeyPolicies": 100,
    "ListKeys": 500, "ListKeyRotations": 100, "ListResourceTags": 2000,
    "ListRetirableGrants": 100, "PutKeyPolicy": 15, "ReplicateKey": 5, "RetireGrant": 50,
    "RevokeGrant": 50, "RotateKeyOnDemand": 5, "ScheduleKeyDeletion": 15, "TagResource": 10,
    "UntagResource": 5, "UpdateAlias": 5, "UpdateCustomKeyStore": 5,
    "UpdateKeyDescription": 5, "UpdatePrimaryRegion": 5,
}
#: (sources: other-request-quotas) each custom key store's request quota (CloudHSM and external key stores alike).
CUSTOM_KEY_STORE_RATE = 1_800.0

#: Sandbox default for an operation the table does not list.
DEFAULT_RATE = 5.0

#: Operations that count against the shared quota of their key's type (sources: symmetric-request-quota, asymmetric-request-quotas).
CRYPTOGRAPHIC = {"Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                 "GenerateMac", "VerifyMac", "ReEncrypt", "Sign", "Verify", "DeriveSharedSecret",
                 "GenerateRandom"}
DATA_KEY_PAIR = {"GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"}


def default_rate(quota: str, region: str) -> float:
    """The documented default for `quota` in `region`, requests per second."""
    if quota == "symmetric":
        return SYMMETRIC_BY_REGION.get(region, SYMMETRIC_DEFAULT_RATE)
    if quota in SHARED:
        return ASYMMETRIC_RATE
    if quota.startswith("GenerateDataKeyPair:"):
        return DATA_KEY_PAIR_RATES.get(quota.split(":", 1)[1], DEFAULT_RATE)
    if quota.startswith("CustomKeyStore:"):
        return CUSTOM_KEY_STORE_RATE
    return float(OPERATION_RATES.get(quota, DEFAULT_RATE))


def quota_name(quota: str) -> str:
    """AWS's Service Quotas name for a sandbox quota name."""
    if quota in SHARED:
        return SHARED[quota]
    if quota.startswith("GenerateDataKeyPair:"):
        return f"GenerateDataKeyPair ({quota.split(':', 1)[1]}) request rate"
    if quota.startswith("CustomKeyStore:"):
        return f"Custom key store request quota ({quota.split(':', 1)[1]})"
    return f"{quota} request rate"


# -- the token bucket ------------------------------------------------------------

_EPSILON = 1e-9  # float slack so that exactly-refilled tokens count


class TokenBucket:
    """`rate` tokens per second, holding at most `capacity` (default: one second's worth, >= 1)."""

    def __init__(self, rate: float, now: float, capacity: float | None = None):
        self.rate = float(rate)
        self.capacity = float(capacity) if capacity is not None else max(1.0, self.rate)
        self.tokens = self.capacity
        self.stamp = now
        self.allowed = 0
        self.throttled = 0

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now  # a clock moved back (sandbox reset) just restarts the count

    def take(self, now: float, amount: float = 1.0) -> bool:
        """Spend `amount` tokens if there are enough; False means throttle."""
        self._refill(now)
        if self.tokens + _EPSILON >= amount:
            self.tokens = max(0.0, self.tokens - amount)
            self.allowed += 1
            return True
        self.throttled += 1
        return False

    def has(self, now: float, amount: float = 1.0) -> bool:
        """Whether `amount` tokens are there now (spends nothing)."""
        self._refill(now)
        return self.tokens + _EPSILON >= amount

    def wait_time(self, now: float, amount: float = 1.0) -> float:
        """Seconds until `amount` tokens are available."""
        self._refill(now)
        return max(0.0, (amount - self.tokens) / self.rate)


# -- settings --------------------------------------------------------------------

@dataclass
class Settings:
    enabled: bool = False
    scale: float = 1.0
    overrides: dict[str, float] | None = None

    def rate(self, quota: str, region: str) -> float:
        if self.overrides and quota in self.overrides:
            return float(self.overrides[quota])
        return default_rate(quota, region) * self.scale

    def as_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "scale": self.scale, "overrides": dict(self.overrides or {})}


_settings = Settings()
_buckets: dict[tuple[str, str, str], TokenBucket] = {}
_lock = threading.Lock()


#: Bounds on what `configure` accepts. Lesson 09 sets a rate of 1e-6 ("one token, then nothing
#: for days"); below that, or with a scale of 1e-300, the sandbox would refuse everything for ever.
MIN_SCALE, MAX_SCALE = 1e-6, 1e6
MIN_RATE, MAX_RATE = 1e-6, 1e9


def _number(value: Any, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} must be a number, not {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{what} must be between {low:g} and {high:g}, not {value!r}")
    return float(value)


def configure(scale: float | None = None, overrides: dict[str, float] | None = None,
              enabled: bool = True) -> dict[str, Any]:
    """Turn quotas on, optionally scaled or overridden. Returns the settings.

    scale: multiplies every documented default (0.0002 turns us-east-1's
        100,000/s symmetric quota into 20/s).
    overrides: exact rates by quota name, e.g. {"symmetric": 20, "CreateKey": 50,
        "rsa": 5, "GenerateDataKeyPair:RSA_2048": 2}; merged into earlier ones,
        a value of None removes an override. Names: see `quota_name`.
    Arguments left as None keep their current value. The buckets start full.
    Settings outlive moto resets; `reset()` restores the defaults (off).
    """
    if scale is not None:
        scale = _number(scale, "scale", MIN_SCALE, MAX_SCALE)
    if overrides is not None and not isinstance(overrides, dict):
        raise ValueError(f"overrides must map quota names to rates, not {overrides!r}")
    checked = {}
    for name, rate in (overrides or {}).items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"a quota name must be text, not {name!r}")
        checked[name] = None if rate is None else _number(rate, f"quota {name}", MIN_RATE, MAX_RATE)
    if not isinstance(enabled, bool):
        raise ValueError(f"enabled must be true or false, not {enabled!r}")
    with _lock:
        if scale is not None:
            _settings.scale = scale
        if checked:
            merged = dict(_settings.overrides or {})
            for name, rate in checked.items():
                if rate is None:
                    merged.pop(name, None)
                else:
                    merged[name] = rate
            _settings.overrides = merged
        _settings.enabled = enabled
        _buckets.clear()
        return _settings.as_dict()


def reset() -> dict[str, Any]:
    """Back to the defaults: quotas off, scale 1, no overrides, empty buckets."""
    global _settings
    with _lock:
        _settings = Settings()
        _buckets.clear()
        return _settings.as_dict()


def settings() -> dict[str, Any]:
    with _lock:
        return _settings.as_dict()


def rate(quota: str, region: str = "us-east-1") -> float:
    """The rate the sandbox applies to `quota` in `region` now."""
    with _lock:
        return _settings.rate(quota, region)


def usage() -> list[dict[str, Any]]:
    """Each bucket in use: account, region, quota, rate, allowed and throttled counts."""
    with _lock:
        return [{"account": a, "region": r, "quota": q, "rate": b.rate,
                 "allowed": b.allowed, "throttled": b.throttled}
                for (a, r, q), b in sorted(_buckets.items())]


@resets.on_reset
def _clear_buckets() -> None:
    with _lock:
        _buckets.clear()


# -- classifying a request -------------------------------------------------------

def _spec_class(key_spec: str | None) -> str:
    spec = key_spec or "SYMMETRIC_DEFAULT"
    if spec.startswith("RSA_"):
        return "rsa"
    if spec.startswith("ECC_") or spec == "SM2":
        return "ecc"
    if spec.startswith("ML_DSA"):
        return "ml-dsa"
    return "symmetric"  # SYMMETRIC_DEFAULT and HMAC_* (HMAC keys are symmetric)


def _key(call: dispatch.KmsCall, key_ref: str | None):
    """The moto Key a request names, found with read-only lookups (None if there is none)."""
    key = call.notes.get("key")
    if key is not None:
        return key
    if not key_ref:
        return None
    account, region = call.account_id, call.region
    if key_ref.startswith("arn:"):
        parts = key_ref.split(":", 5)
        if len(parts) == 6:
            region, account = parts[3], parts[4]
            key_ref = parts[5]  # "key/<id>" or "alias/<name>"
    from moto.kms.models import kms_backends

    try:
        keys = kms_backends[account][region].keys
    except Exception:  # an account or Region moto does not know: no key
        return None
    if key_ref.startswith("alias/"):
        return next((k for k in list(keys.values()) if key_ref in k.aliases), None)
    return keys.get(key_ref[len("key/"):] if key_ref.startswith("key/") else key_ref)


def _key_named_in_ciphertext(call: dispatch.KmsCall) -> str | None:
    from . import symmetric

    try:
        head = symmetric.peek(call.blob("CiphertextBlob"))
    except (ValueError, TypeError):  # not base64
        return None
    return head.key_id if head is not None and head.account_id == call.account_id else None


def charges(call: dispatch.KmsCall) -> list[tuple[str, str, float]]:
    """The (region, quota, requests) a call counts against, in the caller's account."""
    op, params, region = call.operation, call.params, call.region
    if op in DATA_KEY_PAIR:
        return [(region, f"GenerateDataKeyPair:{params.get('KeyPairSpec', '')}", 1)]
    if op in CRYPTOGRAPHIC:
        ref = params.get("DestinationKeyId") if op == "ReEncrypt" else params.get("KeyId")
        if op == "Decrypt" and not ref:
            ref = _key_named_in_ciphertext(call)
        key = _key(call, ref)
        spec = key.get("KeySpec") if isinstance(key, dict) else getattr(key, "key_spec", None)
        charged = [(region, _spec_class(spec), 1)]
        store = params.get("CustomKeyStoreId") if op == "GenerateRandom" else \
            getattr(key, "kmslab_key_store_id", None)
        if store:  # (sources: other-request-quotas) a custom key store's keys also count against the store's own quota
            charged.append((region, f"CustomKeyStore:{store}", 1))
        return charged
    if op == "ReplicateKey":  # one ReplicateKey here, two CreateKey in the replica's Region
        return [(region, "ReplicateKey", 1), (params.get("ReplicaRegion") or region, "CreateKey", 2)]
    if op == "UpdatePrimaryRegion":  # one request in each of the two Regions
        return [(region, op, 1), (params.get("PrimaryRegion") or region, op, 1)]
    return [(region, op, 1)]


# -- the stage -------------------------------------------------------------------

@dispatch.before(dispatch.THROTTLE, "throttle")
def throttle(call: dispatch.KmsCall) -> None:
    """Spend the call's tokens, or raise ThrottlingException and change nothing."""
    if not _settings.enabled:
        return
    wanted = charges(call)
    now = _clock.current().time()
    with _lock:
        buckets = []
        for region, quota, amount in wanted:
            key = (call.account_id, region, quota)
            bucket = _buckets.get(key)
            if bucket is None:
                bucket = _buckets[key] = TokenBucket(_settings.rate(quota, region), now)
            buckets.append((bucket, amount))
        # All or nothing: check every bucket before spending from any.
        short = [b for b, amount in buckets if not b.has(now, amount)]
        if short:
            for b in short:
                b.throttled += 1
            call.notes["throttled"] = [q for _, q, _ in wanted]
            raise KmsError("ThrottlingException", THROTTLE_MESSAGE, 400)
        for b, amount in buckets:
            b.take(now, amount)


# -- remote settings for a running endpoint ------------------------------------------

ROUTE = "/moto-api/kmslab/quotas"


MAX_ROUTE_BODY = 64 * 1024


def _route(request: Any, full_url: str, headers: Any):
    """GET: the settings. POST a JSON object {"scale", "overrides", "enabled"} or {"reset": true}.
    Anything else is a 400 with the reason, never a 500."""
    if getattr(request, "method", "GET") == "POST":
        try:
            body = _route_body(request)
            if body.get("reset") is True and len(body) == 1:
                reset()
            elif "reset" in body:
                raise ValueError('reset takes true, alone: {"reset": true}')
            else:
                configure(scale=body.get("scale"), overrides=body.get("overrides"),
                          enabled=body.get("enabled", True))
        except ValueError as exc:
            return 400, {"Content-Type": "application/json"}, json.dumps({"error": str(exc)})
    return 200, {"Content-Type": "application/json"}, json.dumps(settings())


def _route_body(request: Any) -> dict[str, Any]:
    raw = request.get_data(cache=True) if hasattr(request, "get_data") else getattr(request, "body", b"")
    if len(raw or b"") > MAX_ROUTE_BODY:
        raise ValueError(f"the body is larger than {MAX_ROUTE_BODY} bytes")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the body must be a JSON object, for example {\"scale\": 0.002}") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object, for example {\"scale\": 0.002}")
    unknown = sorted(set(body) - {"scale", "overrides", "enabled", "reset"})
    if unknown:
        raise ValueError(f"unknown settings {unknown}: use scale, overrides, enabled or reset")
    return body


def _install_route() -> None:
    from moto.moto_api._internal import urls

    urls.url_paths["{0}" + ROUTE + "$"] = _route


_install_route()
