"""The audit trail: every KMS request, shaped like a CloudTrail record.

AWS: "CloudTrail records all KMS API calls ... including failed and denied
calls" (kms-facts B5). The trail is kept per process and wiped when moto resets.
"""
from __future__ import annotations

import threading
from typing import Any

from .. import clock
from . import dispatch, resets

_events: list[dict[str, Any]] = []
_lock = threading.Lock()

# Parameters CloudTrail shows in requestParameters (never plaintext or blobs).
_SHOWN = ("KeyId", "EncryptionContext", "EncryptionAlgorithm", "SigningAlgorithm",
          "MacAlgorithm", "KeySpec", "NumberOfBytes", "KeyUsage", "GrantTokens",
          "DestinationKeyId", "SourceKeyId", "AliasName", "TargetKeyId",
          "PendingWindowInDays", "RotationPeriodInDays", "MessageType", "Operations",
          "GranteePrincipal", "Description", "KeyPairSpec")


def _user_identity(call: dispatch.KmsCall) -> dict[str, Any]:
    if call.via_service:
        return {"type": "AWSService", "invokedBy": call.via_service,
                "accountId": call.account_id, "arn": call.principal_arn}
    arn = call.principal_arn or f"arn:aws:iam::{call.account_id}:root"
    kind = "AssumedRole" if ":assumed-role/" in arn else ("Root" if arn.endswith(":root") else "IAMUser")
    return {"type": kind, "arn": arn, "accountId": call.account_id,
            "accessKeyId": call.access_key}


@dispatch.after("audit")
def record(call: dispatch.KmsCall, result: dict | None, error) -> None:
    key_arn = call.key_arn
    if key_arn is None and result:
        key_arn = result.get("KeyId") if str(result.get("KeyId", "")).startswith("arn:") else None
        key_arn = key_arn or (result.get("KeyMetadata") or {}).get("Arn")
    event: dict[str, Any] = {
        "eventTime": clock.current().now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "kms.amazonaws.com",
        "eventName": call.operation,
        "awsRegion": call.region,
        "userIdentity": _user_identity(call),
        "requestParameters": {k: call.params[k] for k in _SHOWN if k in call.params},
        "resources": [{"type": "AWS::KMS::Key", "ARN": key_arn}] if key_arn else [],
        "readOnly": call.operation.startswith(("Describe", "Get", "List")),
    }
    if call.via_service:
        event["sourceIPAddress"] = call.via_service
    if error is not None:
        event["errorCode"] = error.code
        event["errorMessage"] = error.message
    with _lock:
        _events.append(event)


def events(event_name: str | None = None, key_arn: str | None = None,
           error_code: str | None = None) -> list[dict[str, Any]]:
    """The recorded events, oldest first, optionally filtered."""
    with _lock:
        found = list(_events)
    if event_name:
        found = [e for e in found if e["eventName"] == event_name]
    if key_arn:
        found = [e for e in found if any(r["ARN"] == key_arn for r in e["resources"])]
    if error_code:
        found = [e for e in found if e.get("errorCode") == error_code]
    return found


@resets.on_reset
def clear() -> None:
    with _lock:
        _events.clear()
