"""GetKeyLastUsage: the last successful cryptographic operation on a key (moto: missing).

AWS (API_GetKeyLastUsage, https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyLastUsage.html;
botocore KMS model, KeyLastUsageData):
- KeyLastUsage holds Operation, Timestamp, CloudTrailEventId and KmsRequestId of the last
  successful cryptographic operation, or is an empty object if there is none;
- TrackingStartDate is when KMS began recording, or the key's creation, whichever is later;
  the sandbox records from the start, so it is the key's CreationDate;
- ReEncrypt counts for its source and its destination key; multi-Region keys track
  their usage each on their own; the key is named by key id or key ARN only.
The CloudTrailEventId and KmsRequestId are those of the request's record in the audit
trail, so LookupEvents finds the event.
"""
from __future__ import annotations

from typing import Any

from .. import clock
from . import audit, dispatch, rotation  # audit first: its after-hook writes the record read here

#: KeyLastUsageData.Operation (botocore KMS model).
TRACKED = frozenset({"Decrypt", "DeriveSharedSecret", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
                     "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext",
                     "GenerateMac", "ReEncrypt", "Sign", "Verify", "VerifyMac", "Encapsulate",
                     "Decapsulate"})


def _record_of(call: dispatch.KmsCall) -> dict[str, Any] | None:
    """The audit trail's record of this request (the audit hook, just before, hands it over)."""
    return call.notes.get("audit_record")


@dispatch.after("key-last-usage")
def remember(call: dispatch.KmsCall, result: dict | None, error) -> None:
    if error is not None or call.operation not in TRACKED:
        return
    record = _record_of(call)
    if record is None:
        return
    usage = {"Operation": call.operation,
             "Timestamp": rotation.epoch(clock.current().now()),
             "CloudTrailEventId": record["eventID"], "KmsRequestId": record["requestID"]}
    for name in ("key", "destination_key"):
        key = call.notes.get(name)
        if key is not None:
            key.kmslab_last_usage = usage


@dispatch.operation("GetKeyLastUsage")
def get_key_last_usage(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    created = key.creation_date
    return {"KeyId": key.id, "KeyLastUsage": dict(getattr(key, "kmslab_last_usage", None) or {}),
            "TrackingStartDate": created, "KeyCreationDate": created}
