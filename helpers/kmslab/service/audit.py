"""The audit trail: every KMS request, shaped like a CloudTrail record, served by LookupEvents.

AWS: CloudTrail records all KMS API calls, read-only, management and
cryptographic, including failed and denied calls; a cross-account call is
logged in the caller's and the key owner's account (kms-facts B5). The
encryption context appears in plaintext in the record (kms-facts N1).

moto 5.2's CloudTrail has trails but no LookupEvents, and its KMS records
nothing. Here every request that passes through `dispatch` (boto3, the local
endpoint, the Encryption SDK, and S3/SSM calling KMS on a caller's behalf)
becomes one record, and moto's CloudTrailResponse gets a `lookup_events`
action so that `boto3.client("cloudtrail").lookup_events(...)` returns them,
newest first, as the CloudTrail event history does. Only KMS events are
recorded. The trail is kept per process and wiped when moto resets.

Record shape (CloudTrail User Guide, "CloudTrail record contents"; KMS
Developer Guide, "Logging AWS KMS API calls with AWS CloudTrail"): parameter
names in requestParameters are lower camel case; calls an AWS service makes for
a caller keep the caller's userIdentity plus `invokedBy`, and show the service
as sourceIPAddress and userAgent (e.g. "s3.amazonaws.com").
"""
from __future__ import annotations

import datetime as _dt
import json
import threading
import uuid
from typing import Any

from .. import clock
from . import dispatch, resets

_events: list[dict[str, Any]] = []
_lock = threading.Lock()
_NAMESPACE = uuid.UUID("6f1b0c8e-3f4a-4b7e-9a51-6b0d3e0a4c11")

# Parameters CloudTrail shows in requestParameters (never plaintext or blobs).
_SHOWN = ("KeyId", "EncryptionContext", "EncryptionAlgorithm", "SigningAlgorithm",
          "MacAlgorithm", "KeySpec", "NumberOfBytes", "KeyUsage", "GrantTokens",
          "DestinationKeyId", "SourceKeyId", "DestinationEncryptionContext",
          "SourceEncryptionContext", "AliasName", "TargetKeyId", "PendingWindowInDays",
          "RotationPeriodInDays", "MessageType", "Operations", "GranteePrincipal",
          "RetiringPrincipal", "GrantId", "Description", "KeyPairSpec", "Origin",
          "MultiRegion", "ReplicaRegion", "WrappingAlgorithm", "WrappingKeySpec",
          "ExpirationModel", "ImportType", "PolicyName", "BypassPolicyLockoutSafetyCheck")
_READ_ONLY_PREFIXES = ("Describe", "Get", "List")


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _service_host(via_service: str) -> str:
    """kms:ViaService names the Regional endpoint; CloudTrail names the service."""
    return via_service.split(".")[0] + ".amazonaws.com"


def _user_identity(call: dispatch.KmsCall) -> dict[str, Any]:
    arn = call.principal_arn or f"arn:aws:iam::{call.account_id}:root"
    if ":assumed-role/" in arn:
        kind, name = "AssumedRole", arn.rsplit("/", 1)[-1]
    elif arn.endswith(":root"):
        kind, name = "Root", "root"
    else:
        kind, name = "IAMUser", arn.rsplit("/", 1)[-1]
    identity: dict[str, Any] = {"type": kind, "arn": arn, "accountId": arn.split(":")[4]}
    if call.access_key:
        identity["accessKeyId"] = call.access_key
    if kind == "IAMUser":
        identity["userName"] = name
    if call.via_service:
        identity["invokedBy"] = _service_host(call.via_service)
    return identity


def _username(identity: dict[str, Any]) -> str:
    if identity["type"] == "Root":
        return "root"
    return identity["arn"].rsplit("/", 1)[-1]


def _key_arn(call: dispatch.KmsCall, result: dict | None) -> str | None:
    if call.key_arn:
        return call.key_arn
    if not result:
        return None
    for value in (result.get("KeyId"), (result.get("KeyMetadata") or {}).get("Arn")):
        if isinstance(value, str) and value.startswith("arn:"):
            return value
    return None


@dispatch.before(0, "audit-request")
def remember_request(call: dispatch.KmsCall) -> None:
    """Keep the parameters as the caller sent them; later stages may resolve names."""
    call.notes["audit_request"] = {_camel(k): call.params[k] for k in _SHOWN if k in call.params}


@dispatch.after("audit")
def record(call: dispatch.KmsCall, result: dict | None, error) -> None:
    key_arn = _key_arn(call, result)
    owner = call.key_owner[0] if call.key_owner else (key_arn.split(":")[4] if key_arn else call.account_id)
    identity = _user_identity(call)
    event: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": clock.current().now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "kms.amazonaws.com",
        "eventName": call.operation,
        "awsRegion": call.region,
        "sourceIPAddress": _service_host(call.via_service) if call.via_service else "127.0.0.1",
        "userAgent": _service_host(call.via_service) if call.via_service else "boto3",
        "requestParameters": call.notes.get("audit_request")
        or {_camel(k): call.params[k] for k in _SHOWN if k in call.params},
        "responseElements": None,
        "requestID": None,  # numbered below, in the order records join the trail
        "eventID": None,
        "readOnly": call.operation.startswith(_READ_ONLY_PREFIXES),
        "resources": [{"accountId": owner, "type": "AWS::KMS::Key", "ARN": key_arn}] if key_arn else [],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": call.account_id,
        "eventCategory": "Management",
    }
    if error is not None:
        event["errorCode"] = error.code
        event["errorMessage"] = error.message
    # Logged in the caller's account and, when it differs, the key owner's (kms-facts B5);
    # a call denied for lack of access only in the caller's.
    accounts = {identity["accountId"]}
    if owner and (error is None or error.code != "AccessDeniedException"):
        accounts.add(owner)
    event["_accounts"] = sorted(accounts)
    with _lock:  # one lock for the number and the append: concurrent requests never share ids
        number = len(_events) + 1
        event["requestID"] = str(uuid.uuid5(_NAMESPACE, f"request-{number}"))
        event["eventID"] = str(uuid.uuid5(_NAMESPACE, f"event-{number}"))
        _events.append(event)
    call.notes["audit_record"] = event  # GetKeyLastUsage names this request's record


def _public(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if not k.startswith("_")}


def events(event_name: str | None = None, key_arn: str | None = None,
           error_code: str | None = None, account_id: str | None = None) -> list[dict[str, Any]]:
    """The recorded events, oldest first, optionally filtered (copies)."""
    with _lock:
        found = list(_events)
    if event_name:
        found = [e for e in found if e["eventName"] == event_name]
    if key_arn:
        found = [e for e in found if any(r["ARN"] == key_arn for r in e["resources"])]
    if error_code:
        found = [e for e in found if e.get("errorCode") == error_code]
    if account_id:
        found = [e for e in found if account_id in e["_accounts"]]
    return [json.loads(json.dumps(_public(e))) for e in found]


@resets.on_reset
def clear() -> None:
    with _lock:
        _events.clear()


# -- CloudTrail LookupEvents (CloudTrail API Reference, LookupEvents) ----------------------

_ATTRIBUTES = {
    "EventId": lambda e: [e["eventID"]],
    "EventName": lambda e: [e["eventName"]],
    "ReadOnly": lambda e: [str(e["readOnly"]).lower()],
    "Username": lambda e: [_username(e["userIdentity"])],
    "ResourceType": lambda e: [r["type"] for r in e["resources"]],
    "ResourceName": lambda e: [r["ARN"] for r in e["resources"]],
    "EventSource": lambda e: [e["eventSource"]],
    "AccessKeyId": lambda e: [e["userIdentity"].get("accessKeyId")],
}
MAX_RESULTS = 50


def _epoch(text: str) -> float:
    moment = _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    return moment.timestamp()


def _as_epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def lookup(account_id: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    """The LookupEvents answer for one account and Region (newest first)."""
    from moto.cloudtrail.exceptions import InvalidParameterCombinationException

    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise InvalidParameterCombinationException(
            "You can only specify one lookup attribute.")  # one attribute per request (API doc)
    with _lock:
        found = [e for e in _events if account_id in e["_accounts"] and e["awsRegion"] == region]
    for attribute in attributes:
        getter = _ATTRIBUTES.get(attribute.get("AttributeKey"))
        if getter is not None:
            found = [e for e in found if attribute.get("AttributeValue") in getter(e)]
    start, end = _as_epoch(params.get("StartTime")), _as_epoch(params.get("EndTime"))
    if start is not None:
        found = [e for e in found if _epoch(e["eventTime"]) >= start]
    if end is not None:
        found = [e for e in found if _epoch(e["eventTime"]) <= end]
    found.reverse()
    offset = int(params.get("NextToken") or 0)
    limit = max(1, min(int(params.get("MaxResults") or MAX_RESULTS), MAX_RESULTS))
    page = found[offset:offset + limit]
    answer: dict[str, Any] = {"Events": [{
        "EventId": e["eventID"],
        "EventName": e["eventName"],
        "ReadOnly": str(e["readOnly"]).lower(),
        "AccessKeyId": e["userIdentity"].get("accessKeyId"),
        "EventTime": _epoch(e["eventTime"]),
        "EventSource": e["eventSource"],
        "Username": _username(e["userIdentity"]),
        "Resources": [{"ResourceType": r["type"], "ResourceName": r["ARN"]} for r in e["resources"]],
        "CloudTrailEvent": json.dumps(_public(e)),
    } for e in page]}
    if offset + limit < len(found):
        answer["NextToken"] = str(offset + limit)
    return answer


def _install_lookup_events() -> None:
    from moto.cloudtrail.responses import CloudTrailResponse

    def lookup_events(self) -> str:
        return json.dumps(lookup(self.current_account, self.region, json.loads(self.body or "{}")))

    CloudTrailResponse.lookup_events = lookup_events


_install_lookup_events()
