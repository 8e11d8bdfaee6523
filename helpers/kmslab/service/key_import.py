"""Imported key material (BYOK) for symmetric keys with Origin EXTERNAL.

AWS (botocore KMS model: CreateKey.Origin, GetParametersForImport, ImportKeyMaterial,
DeleteImportedKeyMaterial; kms-facts F5, F6):
- an EXTERNAL key starts with no key material, in state PendingImport;
- GetParametersForImport returns an RSA wrapping public key (RSA_2048/3072/4096) and
  an import token, usable together for 24 hours;
- ImportKeyMaterial takes the material wrapped with that public key, by RSAES-OAEP
  (SHA-1 or SHA-256) or RSA_AES_KEY_WRAP (an RSA-OAEP-wrapped AES key + AES key wrap
  with padding, RFC 5649). ExpirationModel defaults to KEY_MATERIAL_EXPIRES, which
  needs ValidTo (at most 365 days ahead); the key becomes PendingImport at ValidTo;
- re-importing must bring the same material (IncorrectKeyMaterialException otherwise),
  unless ImportType=NEW_KEY_MATERIAL, which stages new material for RotateKeyOnDemand (F6);
  only one material waits at a time: another NEW_KEY_MATERIAL import is KMSInvalidStateException;
- DeleteImportedKeyMaterial puts the key back in PendingImport.
"""
from __future__ import annotations

import datetime as _dt
import hmac
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

from .. import clock
from . import dispatch, key_metadata, keys, rotation, symmetric
from .errors import KmsError

WRAPPING_ALGORITHMS = {"RSAES_OAEP_SHA_1": hashes.SHA1, "RSAES_OAEP_SHA_256": hashes.SHA256,
                       "RSA_AES_KEY_WRAP_SHA_1": hashes.SHA1, "RSA_AES_KEY_WRAP_SHA_256": hashes.SHA256}
WRAPPING_KEY_SPECS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
PARAMETERS_LIFETIME = _dt.timedelta(hours=24)
MAX_VALID_TO = _dt.timedelta(days=365)
SYMMETRIC_MATERIAL_BYTES = 32


@keys.on_create
def start_pending_import(key, call) -> None:
    if key.origin == "EXTERNAL":
        key.key_state, key.enabled = "PendingImport", False
        key.kmslab_materials = []


def _require_external(key) -> None:
    if key.origin != "EXTERNAL":
        raise KmsError("UnsupportedOperationException",
                       f"{key.arn} origin is {key.origin} which is not valid for this operation.")


@dispatch.operation("GetParametersForImport")
def get_parameters_for_import(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    _require_external(key)
    algorithm = call.params.get("WrappingAlgorithm")
    spec = call.params.get("WrappingKeySpec")
    if algorithm not in WRAPPING_ALGORITHMS:
        raise KmsError("UnsupportedOperationException",
                       f"The sandbox does not support wrapping algorithm {algorithm}.")
    if spec not in WRAPPING_KEY_SPECS:
        raise KmsError("ValidationException",
                       f"1 validation error detected: Value '{spec}' at 'wrappingKeySpec' failed to "
                       "satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096]")
    private = rsa.generate_private_key(public_exponent=65537, key_size=WRAPPING_KEY_SPECS[spec])
    valid_to = clock.current().now() + PARAMETERS_LIFETIME
    token = os.urandom(64)
    key.kmslab_import_parameters = {"token": token, "private": private, "algorithm": algorithm,
                                    "valid_to": valid_to}
    public = private.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"KeyId": key.arn, "ImportToken": symmetric.b64(token), "PublicKey": symmetric.b64(public),
            "ParametersValidTo": rotation.epoch(valid_to)}


def _unwrap(params: dict, wrapped: bytes) -> bytes:
    private, algorithm = params["private"], params["algorithm"]
    digest = WRAPPING_ALGORITHMS[algorithm]()
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    try:
        if algorithm.startswith("RSAES_OAEP"):
            return private.decrypt(wrapped, oaep)
        size = private.key_size // 8
        aes_key = private.decrypt(wrapped[:size], oaep)
        return aes_key_unwrap_with_padding(aes_key, wrapped[size:])
    except (ValueError, InvalidUnwrap):
        raise KmsError("InvalidCiphertextException", "") from None


def _expiry(call: dispatch.KmsCall) -> tuple[str, _dt.datetime | None]:
    model = call.params.get("ExpirationModel") or "KEY_MATERIAL_EXPIRES"
    valid_to = call.params.get("ValidTo")
    if model == "KEY_MATERIAL_DOES_NOT_EXPIRE":
        if valid_to is not None:
            raise KmsError("ValidationException",
                           "ValidTo is not valid when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.")
        return model, None
    if valid_to is None:
        raise KmsError("ValidationException",
                       "ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.")
    when = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=float(valid_to))
    now = clock.current().now()
    if not now < when <= now + MAX_VALID_TO:
        raise KmsError("ValidationException",
                       "ValidTo must be a future date no more than 365 days from now.")
    return model, when


@dispatch.operation("ImportKeyMaterial")
def import_key_material(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    _require_external(key)
    if key.key_spec != "SYMMETRIC_DEFAULT":
        raise KmsError("UnsupportedOperationException",
                       f"The sandbox imports key material only into symmetric keys, not {key.key_spec}.")
    params = getattr(key, "kmslab_import_parameters", None)
    token = call.blob("ImportToken") or b""
    if params is None or not hmac.compare_digest(token, params["token"]):
        raise KmsError("InvalidImportTokenException",
                       "The import token is invalid or was issued for another KMS key.")
    if clock.current().now() >= params["valid_to"]:
        raise KmsError("ExpiredImportTokenException",
                       "The import token has expired. Call GetParametersForImport again.")
    secret = _unwrap(params, call.blob("EncryptedKeyMaterial") or b"")
    if len(secret) != SYMMETRIC_MATERIAL_BYTES:
        raise KmsError("IncorrectKeyMaterialException",
                       "Key material for a symmetric encryption key must be 256 bits.")
    model, valid_to = _expiry(call)
    mats = symmetric.materials(key)
    known = next((m for m in mats if hmac.compare_digest(m.secret, secret)), None)
    pending = getattr(key, "kmslab_pending_material", None)
    import_type = call.params.get("ImportType") or ("EXISTING_KEY_MATERIAL" if mats else "NEW_KEY_MATERIAL")
    if import_type == "NEW_KEY_MATERIAL" and mats:
        if known is not None:
            raise KmsError("IncorrectKeyMaterialException",
                           "This key material is already associated with the KMS key.")
        if pending is not None and not hmac.compare_digest(pending.secret, secret):
            # One material at a time waits for RotateKeyOnDemand (API_ImportKeyMaterial, ImportType).
            raise KmsError("KMSInvalidStateException",
                           f"New key material (id: {symmetric.material_id(key.id, len(mats) + 1)}) "
                           f"cannot be imported into KMS key {key.id}, because another key material "
                           f"(id: {pending.id}) is pending rotation.")
        material = pending if pending is not None else \
            symmetric.Material(symmetric.material_id(key.id, len(mats)), secret, imported=True)
        key.kmslab_pending_material = material  # rotated in by RotateKeyOnDemand (kms-facts F6)
    elif not mats:
        material = symmetric.Material(symmetric.material_id(key.id, 0), secret,
                                      created=clock.current().now(), imported=True)
        mats.append(material)
    else:
        if known is None:
            raise KmsError("IncorrectKeyMaterialException",
                           "The key material is not the key material that was previously "
                           "imported into this KMS key.")
        material = known
    material.expiration_model, material.valid_to = model, valid_to
    material.description = call.params.get("KeyMaterialDescription") or material.description
    if material is symmetric.current_material(key) and key.key_state == "PendingImport":
        key.key_state, key.enabled = "Enabled", True
    key.kmslab_import_parameters = None  # each token imports once
    return {"KeyId": key.arn, "KeyMaterialId": material.id}


@dispatch.operation("DeleteImportedKeyMaterial")
def delete_imported_key_material(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    _require_external(key)
    current = symmetric.current_material(key)
    if key.key_state != "PendingDeletion":
        key.key_state, key.enabled = "PendingImport", False
    result = {"KeyId": key.arn}
    if current is not None:
        result["KeyMaterialId"] = current.id
    return result


@keys.on_access
def expire_material(key) -> None:
    """At ValidTo KMS deletes the imported material; the key waits for a re-import."""
    if key.origin != "EXTERNAL" or key.key_state not in ("Enabled", "Disabled"):
        return
    current = symmetric.current_material(key)
    if current is not None and current.valid_to is not None and clock.current().now() >= current.valid_to:
        key.key_state, key.enabled = "PendingImport", False


@key_metadata.contributes
def describe_expiration(key, meta: dict) -> None:
    if key.origin != "EXTERNAL":
        return
    current = symmetric.current_material(key)
    if current is not None and key.key_state != "PendingImport":
        meta["ExpirationModel"] = current.expiration_model
        if current.valid_to is not None:
            meta["ValidTo"] = rotation.epoch(current.valid_to)
