"""Checks for lab 04 (key rotation): a 180-day rotation period, an on-demand rotation,
an old ciphertext that still decrypts, and an alias moved to a new key (sources: automatic-rotation, on-demand-rotation, rotation-history, rotation-keeps-old-material, keys-that-cannot-rotate, imported-key-material, manual-rotation).

Everything is read back through boto3: GetKeyRotationStatus, ListKeyRotations, Decrypt
(whose KeyMaterialId names the material that decrypted), ListAliases and DescribeKey.
"""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..checks import Wrong, check, expect

HINT_AUTO = "lesson 06, '1. Automatic rotation is off until you turn it on'"
HINT_ON_DEMAND = "lesson 06, '3. On-demand rotation'"
HINT_SAME_ID = "lesson 06, '4. Same key, every ciphertext still decrypts'"
HINT_ALIAS = "lesson 06, '9. Manual rotation: a new key behind the same alias'"
PERIOD = 180
DEFAULT_PERIOD = 365  # sources: automatic-rotation


def _meta(kms: Any, key_id: Any, name: str = "key_id") -> dict:
    expect(isinstance(key_id, str), name, f"{name} is a {type(key_id).__name__}; use the KeyId string")
    try:
        return kms.describe_key(KeyId=key_id)["KeyMetadata"]
    except ClientError as error:
        raise Wrong(name, f"KMS does not know {key_id!r} ({error.response['Error']['Code']})") from None


def _not_an_alias(key_id: Any, name: str = "key_id") -> None:
    """The rotation operations take a key ID or key ARN, never an alias (unlike Encrypt or DescribeKey)."""
    expect(not (isinstance(key_id, str) and (key_id.startswith("alias/") or ":alias/" in key_id)), name,
           f"{key_id!r} is an alias: EnableKeyRotation, RotateKeyOnDemand and ListKeyRotations take a key ID or "
           "key ARN; use the key's KeyId")


def _symmetric(meta: dict, hint: str) -> None:
    expect(meta["KeySpec"] == "SYMMETRIC_DEFAULT", "key spec",
           f"the key is {meta['KeySpec']}: asymmetric and HMAC keys never rotate automatically or on "
           "demand; create a symmetric encryption key", hint)


@check("Task 1: automatic rotation every 180 days", hint=HINT_AUTO)
def check_rotation_period(kms: Any, key_id: Any) -> str:
    meta = _meta(kms, key_id)
    _not_an_alias(key_id)
    _symmetric(meta, HINT_AUTO)
    status = kms.get_key_rotation_status(KeyId=key_id)
    expect(status["KeyRotationEnabled"], "rotation", "automatic rotation is off (the default): call EnableKeyRotation")
    days = status.get("RotationPeriodInDays")
    expect(days != DEFAULT_PERIOD, "period",
           f"{DEFAULT_PERIOD} days is the default you get without RotationPeriodInDays; ask for {PERIOD}")
    expect(days == PERIOD, "period", f"the period is {days} days; the task asks for {PERIOD}")
    return f"rotates every {PERIOD} days, next on {status['NextRotationDate']:%Y-%m-%d}"


def _rotations(kms: Any, key_id: str) -> list[dict]:
    return kms.list_key_rotations(KeyId=key_id)["Rotations"]


@check("Task 2: an on-demand rotation", hint=HINT_ON_DEMAND)
def check_on_demand(kms: Any, key_id: Any) -> str:
    meta = _meta(kms, key_id)
    _not_an_alias(key_id)
    _symmetric(meta, HINT_ON_DEMAND)
    kinds = [r["RotationType"] for r in _rotations(kms, key_id)]
    expect("ON_DEMAND" in kinds, "rotation history",
           "ListKeyRotations shows no ON_DEMAND rotation: call RotateKeyOnDemand on this key"
           + (" (it only has automatic ones)" if kinds else ""))
    return f"ListKeyRotations shows {kinds.count('ON_DEMAND')} on-demand rotation(s); key ID unchanged"


@check("Task 3: an old ciphertext still decrypts", hint=HINT_SAME_ID)
def check_old_ciphertext(kms: Any, key_id: Any, old_ciphertext: Any, note: Any, recovered: Any) -> str:
    meta = _meta(kms, key_id)
    _not_an_alias(key_id)
    expect(isinstance(old_ciphertext, bytes), "old_ciphertext",
           f"old_ciphertext is a {type(old_ciphertext).__name__}; keep Encrypt's CiphertextBlob (bytes)")
    try:
        answer = kms.decrypt(CiphertextBlob=old_ciphertext)
    except ClientError as error:
        raise Wrong("old_ciphertext", f"KMS cannot decrypt it ({error.response['Error']['Code']})") from None
    expect(answer["KeyId"] == meta["Arn"], "old_ciphertext", "it was encrypted under another key, not key_id")
    expect(answer["Plaintext"] == note, "old_ciphertext", "it decrypts, but not to `note`")
    rotations = _rotations(kms, key_id)
    expect(rotations, "rotation", "the key has never rotated, so it has only one key material", HINT_ON_DEMAND)
    current = next(r["KeyMaterialId"] for r in rotations if r["KeyMaterialState"] == "CURRENT")
    expect(answer.get("KeyMaterialId") != current, "timing",
           "this ciphertext uses the current key material, so it was made after the rotation: encrypt "
           "`note` before rotating")
    expect(not isinstance(recovered, dict), "recovered",
           "recovered is Decrypt's whole response: keep response['Plaintext']")
    expect(not isinstance(recovered, str), "recovered",
           "recovered is a str: keep Decrypt's Plaintext as it comes, bytes")
    expect(recovered == note, "recovered",
           "decrypt old_ciphertext with kms.decrypt and keep its Plaintext in `recovered`")
    return f"made before the rotation, decrypted with the older of {len(rotations) + 1} key materials"


def _alias_target(kms: Any, alias: str) -> str | None:
    for page in kms.get_paginator("list_aliases").paginate():
        for entry in page["Aliases"]:
            if entry["AliasName"] == alias:
                return entry.get("TargetKeyId")
    return None


@check("Task 4: an alias moved to a new key", hint=HINT_ALIAS)
def check_alias_moved(kms: Any, alias: Any, old_key_id: Any, new_key_id: Any) -> str:
    old, new = _meta(kms, old_key_id, "old_key_id"), _meta(kms, new_key_id, "new_key_id")
    expect(new["KeyId"] != old["KeyId"], "new_key_id", "that is the old key: create a new key")
    expect(new["KeySpec"] == old["KeySpec"] and new["KeyUsage"] == old["KeyUsage"], "new key",
           f"the new key is {new['KeySpec']}/{new['KeyUsage']}, the old one {old['KeySpec']}/{old['KeyUsage']}: "
           "an alias moves only between keys of the same type and usage")
    expect(new["KeyState"] == "Enabled", "new key", f"the new key is {new['KeyState']}")
    target = _alias_target(kms, alias)
    expect(target is not None, "alias", f"{alias} no longer exists: move it with UpdateAlias, don't delete it")
    expect(target != old["KeyId"], "alias", f"{alias} still points at the old key: call UpdateAlias")
    expect(target == new["KeyId"], "alias", f"{alias} points at a key that is not new_key_id")
    expect(old["KeyState"] != "PendingDeletion", "old key",
           "the old key is scheduled for deletion: cancel it; once deleted, everything it encrypted is lost")
    expect(old["KeyState"] == "Enabled", "old key",
           f"the old key is {old['KeyState']}: its ciphertexts no longer decrypt; keep it enabled")
    return f"{alias} now names the new key; the old key stays Enabled for old ciphertexts"
