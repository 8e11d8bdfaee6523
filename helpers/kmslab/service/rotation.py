"""Key rotation with real new key material (sources: automatic-rotation, on-demand-rotation, rotation-history, rotation-keeps-old-material, keys-that-cannot-rotate, imported-key-material, manual-rotation, aws-managed-key-rotation, rotation-and-key-state).

- EnableKeyRotation stores RotationPeriodInDays (90..2560, default 365, sources: automatic-rotation);
  GetKeyRotationStatus returns it with NextRotationDate on the sandbox clock.
- Automatic rotation happens when the sandbox clock passes NextRotationDate
  (applied lazily, the next time the key is used or listed).
- RotateKeyOnDemand adds material at once (sources: on-demand-rotation); new ciphertexts use it and older
  ones still decrypt with theirs (sources: rotation-keeps-old-material). At most 25 on-demand rotations per key (sources: on-demand-rotation).
  Its error messages are AWS's (API_RotateKeyOnDemand); the key state is checked first
  (key_state.py).
- Only symmetric encryption keys rotate; asymmetric and HMAC keys never, imported
  (EXTERNAL) keys only on demand with material imported first (sources: keys-that-cannot-rotate, imported-key-material).
  A multi-Region key rotates on its primary (sources: on-demand-rotation).

State: key.kmslab_rotation = {"period": days, "next": datetime} while enabled,
key.kmslab_rotations = completed rotations (shared with multi-Region replicas).
"""
from __future__ import annotations

import datetime as _dt
import os
import threading

from .. import clock
from . import dispatch, keys, symmetric
from .errors import KmsError

MIN_PERIOD, MAX_PERIOD, DEFAULT_PERIOD = 90, 2560, 365  # sources: automatic-rotation
ON_DEMAND_LIMIT = 25  # sources: on-demand-rotation
_EPOCH = _dt.datetime(1970, 1, 1)
_lock = threading.RLock()


def epoch(when: _dt.datetime) -> float:
    return (when - _EPOCH).total_seconds()


def rotations(key) -> list[dict]:
    found = getattr(key, "kmslab_rotations", None)
    if found is None:
        found = key.kmslab_rotations = []
    return found


def add_material(key, kind: str, when: _dt.datetime, secret: bytes | None = None,
                 material: symmetric.Material | None = None) -> symmetric.Material:
    """Make new material current and record the rotation (sources: rotation-history, rotation-keeps-old-material)."""
    with _lock:
        mats = symmetric.materials(key)
        if material is None:
            material = symmetric.Material(symmetric.material_id(key.id, len(mats)),
                                          secret or os.urandom(32))
        material.created, material.rotation_type, material.rotation_date = when, kind, when
        mats.append(material)
        rotations(key).append({"material": material, "type": kind, "date": when})
        return material


def _is_replica(key) -> bool:
    return bool(key.multi_region) and key.arn != key.multi_region_configuration["PrimaryKey"]["Arn"]


def _unsupported(key, why: str) -> KmsError:
    return KmsError("UnsupportedOperationException", f"{key.arn} {why}")


def check_rotatable(key, on_demand: bool) -> None:
    """(sources: keys-that-cannot-rotate, imported-key-material) which keys rotate, automatically or on demand."""
    if key.key_spec != "SYMMETRIC_DEFAULT":
        if on_demand:  # AWS answers RotateKeyOnDemand on an asymmetric or HMAC key with no message
            raise KmsError("UnsupportedOperationException", "")
        raise _unsupported(key, f"key spec {key.key_spec} does not support key rotation.")
    if getattr(key, "key_manager", "CUSTOMER") == "AWS":  # (sources: aws-managed-key-rotation) AWS rotates them yearly
        raise _unsupported(key, "is an AWS managed key; its rotation cannot be changed.")
    if key.origin == "EXTERNAL" and not on_demand:
        raise _unsupported(key, "origin is EXTERNAL which is not valid for automatic key rotation.")
    if key.origin not in ("AWS_KMS", "EXTERNAL"):
        raise _unsupported(key, f"origin is {key.origin} which is not valid for key rotation.")
    if _is_replica(key):
        raise _unsupported(key, "is a multi-Region replica key; rotate its primary key.")


@keys.on_access
def rotate_when_due(key) -> None:
    """Automatic rotation: each period that has passed on the sandbox clock adds material."""
    schedule = getattr(key, "kmslab_rotation", None)
    if not schedule or key.key_state != "Enabled":
        return
    now = clock.current().now()
    with _lock:
        while schedule["next"] <= now:
            add_material(key, "AUTOMATIC", schedule["next"])
            schedule["next"] += _dt.timedelta(days=schedule["period"])


def enable(key, period: int, when: _dt.datetime | None = None) -> None:
    when = when or clock.current().now()
    key.key_rotation_status = True
    key.kmslab_rotation = {"period": period, "next": when + _dt.timedelta(days=period)}


@dispatch.operation("EnableKeyRotation")
def enable_key_rotation(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    check_rotatable(key, on_demand=False)
    period = call.params.get("RotationPeriodInDays", DEFAULT_PERIOD)
    if not isinstance(period, int) or not MIN_PERIOD <= period <= MAX_PERIOD:
        bound = (f"greater than or equal to {MIN_PERIOD}" if isinstance(period, int) and period < MIN_PERIOD
                 else f"less than or equal to {MAX_PERIOD}")
        raise KmsError("ValidationException",
                       f"1 validation error detected: Value '{period}' at 'rotationPeriodInDays' "
                       f"failed to satisfy constraint: Member must have value {bound}")
    enable(key, period)
    return {}


@dispatch.operation("DisableKeyRotation")
def disable_key_rotation(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    check_rotatable(key, on_demand=False)
    key.key_rotation_status = False
    key.kmslab_rotation = None
    return {}


@dispatch.operation("GetKeyRotationStatus")
def get_key_rotation_status(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    if key.key_spec != "SYMMETRIC_DEFAULT":
        raise _unsupported(key, f"key spec {key.key_spec} does not support key rotation.")
    schedule = getattr(key, "kmslab_rotation", None)
    # (sources: rotation-and-key-state) a key pending deletion shows rotation disabled.
    if not schedule or key.key_state == "PendingDeletion":
        return {"KeyRotationEnabled": False, "KeyId": key.arn}
    return {"KeyRotationEnabled": True, "KeyId": key.arn,
            "RotationPeriodInDays": schedule["period"], "NextRotationDate": epoch(schedule["next"])}


@dispatch.operation("RotateKeyOnDemand")
def rotate_key_on_demand(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    check_rotatable(key, on_demand=True)
    with _lock:
        done = sum(1 for r in rotations(key) if r["type"] == "ON_DEMAND")
        if done >= ON_DEMAND_LIMIT:
            raise KmsError("LimitExceededException",
                           "The on-demand rotations limit has been reached for the given keyId. "
                           f"No more on-demand rotations can be performed for this key: {key.arn}")
        pending = None
        if key.origin == "EXTERNAL":  # (sources: imported-key-material) rotate to material imported as NEW_KEY_MATERIAL
            pending = getattr(key, "kmslab_pending_material", None)
            if pending is None:
                raise KmsError("KMSInvalidStateException",
                               f"No available key material pending rotation for the key: {key.arn}.")
            key.kmslab_pending_material = None
        add_material(key, "ON_DEMAND", clock.current().now(), material=pending)
    return {"KeyId": key.arn}


def _rotation_entry(key, m: symmetric.Material, state: str) -> dict:
    entry = {"KeyId": key.arn, "KeyMaterialId": m.id, "KeyMaterialState": state}
    if m.rotation_type:
        entry.update({"RotationDate": epoch(m.rotation_date), "RotationType": m.rotation_type})
    if m.imported:
        entry.update({"ImportState": "IMPORTED", "ExpirationModel": m.expiration_model})
        if m.valid_to:
            entry["ValidTo"] = epoch(m.valid_to)
        if m.description:
            entry["KeyMaterialDescription"] = m.description
    return entry


@dispatch.operation("ListKeyRotations")
def list_key_rotations(call: dispatch.KmsCall) -> dict:
    """Completed rotations (the default, ROTATIONS_ONLY), or with IncludeKeyMaterial=
    ALL_KEY_MATERIAL every material: the original one, each rotation's, and imported
    material waiting for RotateKeyOnDemand as PENDING_ROTATION (sources: rotation-history, imported-key-material)."""
    key = call.notes["key"]
    if key.key_spec != "SYMMETRIC_DEFAULT":
        raise _unsupported(key, f"key spec {key.key_spec} does not support key rotation.")
    current = symmetric.current_material(key)
    if call.params.get("IncludeKeyMaterial") == "ALL_KEY_MATERIAL":
        listed = [(m, "CURRENT" if m is current else "NON_CURRENT") for m in symmetric.materials(key)]
        pending = getattr(key, "kmslab_pending_material", None)
        if pending is not None:
            listed.append((pending, "PENDING_ROTATION"))
    else:
        listed = [(r["material"], "CURRENT" if r["material"] is current else "NON_CURRENT")
                  for r in rotations(key)]
    entries = [_rotation_entry(key, m, state) for m, state in listed]
    marker = call.params.get("Marker") or "0"
    if not marker.isdigit():  # a marker this operation never handed out
        raise KmsError("InvalidMarkerException", "The request was rejected because the marker that "
                                                 "specifies where pagination should next begin is not valid.")
    start = int(marker)
    limit = int(call.params.get("Limit") or 100)
    page = entries[start:start + limit]
    result = {"Rotations": page, "Truncated": start + limit < len(entries)}
    if result["Truncated"]:
        result["NextMarker"] = str(start + limit)
    return result
