"""Key state: what a Disabled, PendingDeletion or PendingImport key refuses.

AWS (sources: deletion-waiting-period, disable-before-delete, key-states; API reference, "Key states of AWS KMS keys"):
- cryptographic operations on a Disabled key fail with DisabledException;
- on a key pending deletion or pending import they fail with KMSInvalidStateException;
- ScheduleKeyDeletion takes PendingWindowInDays 7..30, default 30 (sources: deletion-waiting-period),
  and after the window the key is gone; CancelKeyDeletion leaves the key Disabled.
"""
from __future__ import annotations

import datetime as _dt

from .. import clock
from . import dispatch, keys
from .errors import KmsError

CRYPTOGRAPHIC = frozenset({
    "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify",
    "GenerateMac", "VerifyMac", "GetPublicKey", "DeriveSharedSecret", "Encapsulate",
    "Decapsulate"})
# Management operations a key pending deletion (or import) cannot take.
_NEEDS_LIVE_KEY = frozenset({"EnableKey", "DisableKey", "EnableKeyRotation", "DisableKeyRotation",
                             "ReplicateKey", "UpdatePrimaryRegion", "ScheduleKeyDeletion"})
# Operations that need an Enabled key, whose state is checked before its key spec: RotateKeyOnDemand
# on a disabled RSA key is DisabledException, not UnsupportedOperationException (issue 14;
# https://docs.aws.amazon.com/kms/latest/APIReference/API_RotateKeyOnDemand.html#API_RotateKeyOnDemand_Errors).
_STATE_FIRST = frozenset({"RotateKeyOnDemand"})

_WORDS = {"PendingDeletion": "pending deletion", "PendingImport": "pending import",
          "PendingReplicaDeletion": "pending replica deletion", "Unavailable": "unavailable",
          "Creating": "creating", "Updating": "updating"}

MIN_WINDOW, MAX_WINDOW, DEFAULT_WINDOW = 7, 30, 30  # sources: deletion-waiting-period


def invalid_state(key) -> KmsError:
    return KmsError("KMSInvalidStateException",
                    f"{key.arn} is {_WORDS.get(key.key_state, key.key_state)}.")


def require_usable(key) -> None:
    """Raise as AWS does if `key` cannot be used cryptographically now."""
    if key.key_state == "Enabled":
        return
    if key.key_state == "Disabled":
        raise KmsError("DisabledException", f"{key.arn} is disabled.")
    raise invalid_state(key)


@dispatch.before(dispatch.VALIDATE, "key-state")
def check_state(call: dispatch.KmsCall) -> None:
    key = call.notes.get("key")
    if key is None:
        return
    op = call.operation
    if op in CRYPTOGRAPHIC or op == "ReEncrypt" or op in _STATE_FIRST:
        require_usable(key)
        if "destination_key" in call.notes:
            require_usable(call.notes["destination_key"])
    elif op in _NEEDS_LIVE_KEY and key.key_state in ("PendingDeletion", "PendingImport",
                                                     "PendingReplicaDeletion", "Creating"):
        if not (op in ("DisableKey", "ScheduleKeyDeletion") and key.key_state == "PendingImport"):
            raise invalid_state(key)
    if op == "CancelKeyDeletion" and key.key_state != "PendingDeletion":
        raise KmsError("KMSInvalidStateException", f"{key.arn} is not pending deletion.")
    if op == "ScheduleKeyDeletion":
        days = call.params.get("PendingWindowInDays", DEFAULT_WINDOW)
        if not isinstance(days, int) or not MIN_WINDOW <= days <= MAX_WINDOW:
            bound = ("greater than or equal to 7" if isinstance(days, int) and days < MIN_WINDOW
                     else "less than or equal to 30")
            raise KmsError("ValidationException",
                           f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' "
                           f"failed to satisfy constraint: Member must have value {bound}")


@dispatch.operation("ScheduleKeyDeletion")
def schedule_key_deletion(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    days = call.params.get("PendingWindowInDays", DEFAULT_WINDOW)
    call.params["PendingWindowInDays"] = days
    key.kmslab_state_before_deletion = key.key_state
    result = dispatch.moto_operation(call)  # moto sets the date from the sandbox clock
    return {"KeyId": key.arn, "DeletionDate": result["DeletionDate"],
            "KeyState": "PendingDeletion", "PendingWindowInDays": days}


@dispatch.operation("CancelKeyDeletion")
def cancel_key_deletion(call: dispatch.KmsCall) -> dict:
    dispatch.moto_operation(call)  # the key is now Disabled, as in AWS
    key = call.notes["key"]
    if getattr(key, "origin", "") == "EXTERNAL" and not getattr(key, "kmslab_materials", [None]):
        key.key_state = "PendingImport"
    return {"KeyId": key.arn}


@keys.on_access
def delete_when_due(key) -> None:
    """After the waiting period the key, its material and its aliases are deleted (sources: deletion-waiting-period)."""
    if key.key_state != "PendingDeletion" or key.deletion_date is None:
        return
    if clock.current().now() >= _naive(key.deletion_date):
        keys.backend(key.account_id, key.region).delete_key(key.id)


def _naive(value: _dt.datetime) -> _dt.datetime:
    return value.replace(tzinfo=None) if value.tzinfo else value
