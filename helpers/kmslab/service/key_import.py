"""Imported key material (BYOK): symmetric, HMAC, RSA and ECC keys with Origin EXTERNAL.

AWS (botocore KMS model: CreateKey.Origin, GetParametersForImport, ImportKeyMaterial,
DeleteImportedKeyMaterial; sources: keys-that-cannot-rotate, imported-key-material):
- an EXTERNAL key starts with no key material, in state PendingImport;
- GetParametersForImport returns an RSA wrapping public key (RSA_2048/3072/4096) and
  an import token, usable together for 24 hours;
- ImportKeyMaterial takes the material wrapped with that public key, by RSAES-OAEP
  (SHA-1 or SHA-256) or RSA_AES_KEY_WRAP (an RSA-OAEP-wrapped AES key + AES key wrap
  with padding, RFC 5649). ExpirationModel defaults to KEY_MATERIAL_EXPIRES, which
  needs ValidTo (at most 365 days ahead); the key becomes PendingImport at ValidTo;
- re-importing must bring the same material (IncorrectKeyMaterialException otherwise),
  unless ImportType=NEW_KEY_MATERIAL, which stages new material for RotateKeyOnDemand (sources: imported-key-material);
  only one material waits at a time: another NEW_KEY_MATERIAL import is KMSInvalidStateException;
- DeleteImportedKeyMaterial puts the key back in PendingImport.

HMAC and asymmetric keys (Requirements for imported key material,
https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-conceptual.html#importing-keys-material-requirements;
importing-keys-encrypt-key-material.html; importing-keys-import-key-material.html):
- HMAC_224/256/384/512 material is 224/256/384/512 to 1024 bits of raw bytes;
- RSA_2048/3072/4096 and ECC_NIST_P256/P384/P521, ECC_SECG_P256K1 material is the private
  key alone, PKCS #8 (DER), of that size or named curve; KMS derives the public key;
- an RSA private key is wrapped only with RSA_AES_KEY_WRAP_SHA_*; RSAES_OAEP_SHA_* with an
  RSA_2048 wrapping key cannot wrap ECC_NIST_P521 material; RSAES_PKCS1_V1_5 is retired
  (October 2023) and SM2 wrapping is China Regions only;
- ML-DSA (and, not being in that list, Ed25519 and ML-KEM) keys cannot take imported material;
- the first material is bound to the key for good: re-imports must bring the same material,
  and ImportType (with KeyMaterialDescription and KeyMaterialId) is for symmetric keys only;
- no automatic rotation, no on-demand rotation (rotation.py refuses both by key spec);
- ValidTo works as for symmetric keys: at ValidTo the key is PendingImport again.
"""
from __future__ import annotations

import datetime as _dt
import hmac
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
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
HMAC_MAX_BYTES = 128  # 1024 bits
RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
EC_CURVES = {"ECC_NIST_P256": "secp256r1", "ECC_NIST_P384": "secp384r1",
             "ECC_NIST_P521": "secp521r1", "ECC_SECG_P256K1": "secp256k1"}
#: Key specs whose keys can hold imported material.
IMPORTABLE = ("SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", *RSA_BITS, *EC_CURVES)


def _unsupported(message: str) -> KmsError:
    return KmsError("UnsupportedOperationException", message)


@dispatch.before(dispatch.VALIDATE, "importable-key-spec")
def refuse_unimportable_spec(call: dispatch.KmsCall) -> None:
    if call.operation != "CreateKey" or call.params.get("Origin") != "EXTERNAL":
        return
    spec = call.params.get("KeySpec") or call.params.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if spec not in IMPORTABLE:  # importing-keys-conceptual.html: "Importing ML-DSA keys is not supported."
        raise _unsupported(f"KeySpec {spec} does not support Origin EXTERNAL (imported key material).")


@keys.on_create
def start_pending_import(key, call) -> None:
    if key.origin == "EXTERNAL":
        key.key_state, key.enabled = "PendingImport", False
        key.kmslab_materials = []
        if key.key_spec != "SYMMETRIC_DEFAULT":
            # No material until an import: drop what moto generated.
            key.key_material, key.private_key = None, None
            key.kmslab_imported = None


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
    _check_wrapping(key, algorithm, spec)
    private = rsa.generate_private_key(public_exponent=65537, key_size=WRAPPING_KEY_SPECS[spec])
    valid_to = clock.current().now() + PARAMETERS_LIFETIME
    token = os.urandom(64)
    key.kmslab_import_parameters = {"token": token, "private": private, "algorithm": algorithm,
                                    "valid_to": valid_to}
    public = private.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"KeyId": key.arn, "ImportToken": symmetric.b64(token), "PublicKey": symmetric.b64(public),
            "ParametersValidTo": rotation.epoch(valid_to)}


def _check_wrapping(key, algorithm: str | None, spec: str | None) -> None:
    """The wrapping algorithm and key spec AWS accepts for this key's material
    (API_GetParametersForImport, WrappingAlgorithm and WrappingKeySpec)."""
    if algorithm == "RSAES_PKCS1_V1_5":
        raise _unsupported("As of October 10, 2023, KMS does not support the RSAES_PKCS1_V1_5 "
                           "wrapping algorithm.")
    if algorithm == "SM2PKE" or spec == "SM2":
        raise _unsupported("SM2 wrapping is supported only in the China Regions.")
    if algorithm not in WRAPPING_ALGORITHMS:
        raise KmsError("ValidationException",
                       f"1 validation error detected: Value '{algorithm}' at 'wrappingAlgorithm' failed "
                       "to satisfy constraint: Member must satisfy enum value set: "
                       f"[{', '.join(WRAPPING_ALGORITHMS)}]")
    if spec not in WRAPPING_KEY_SPECS:
        raise KmsError("ValidationException",
                       f"1 validation error detected: Value '{spec}' at 'wrappingKeySpec' failed to "
                       "satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096]")
    direct = algorithm.startswith("RSAES_OAEP")
    if direct and key.key_spec in RSA_BITS:
        raise _unsupported(f"{algorithm} cannot wrap RSA key material; use RSA_AES_KEY_WRAP_SHA_1 "
                           "or RSA_AES_KEY_WRAP_SHA_256.")
    if direct and key.key_spec == "ECC_NIST_P521" and spec == "RSA_2048":
        raise _unsupported(f"{algorithm} with an RSA_2048 wrapping key cannot wrap ECC_NIST_P521 key "
                           "material; use a longer wrapping key or an RSA_AES_KEY_WRAP algorithm.")


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
        # importing-keys-import-key-material.html: "AWS KMS will reject ImportKeyMaterial API
        # requests with the ImportType parameter" for these keys (the error is not named there).
        for name in ("ImportType", "KeyMaterialDescription", "KeyMaterialId"):
            if call.params.get(name) is not None:
                raise KmsError("ValidationException",
                               f"{name} is valid only for symmetric encryption keys.")
    params = getattr(key, "kmslab_import_parameters", None)
    token = call.blob("ImportToken") or b""
    if params is None or not hmac.compare_digest(token, params["token"]):
        raise KmsError("InvalidImportTokenException",
                       "The import token is invalid or was issued for another KMS key.")
    if clock.current().now() >= params["valid_to"]:
        raise KmsError("ExpiredImportTokenException",
                       "The import token has expired. Call GetParametersForImport again.")
    secret = _unwrap(params, call.blob("EncryptedKeyMaterial") or b"")
    if key.key_spec != "SYMMETRIC_DEFAULT":
        return _import_single_material(call, key, secret)
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
        key.kmslab_pending_material = material  # rotated in by RotateKeyOnDemand (sources: imported-key-material)
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


def _load_material(key, secret: bytes) -> tuple[bytes, object | None]:
    """(canonical material, private key or None) if `secret` fits the key spec."""
    spec = key.key_spec
    if spec.startswith("HMAC_"):
        low = int(spec[5:]) // 8
        if not low <= len(secret) <= HMAC_MAX_BYTES:
            raise KmsError("IncorrectKeyMaterialException",
                           f"Key material for an {spec} key must be {low * 8} to 1024 bits.")
        return secret, None
    try:
        private = serialization.load_der_private_key(secret, password=None)
    except (ValueError, TypeError):
        private = None
    fits = (isinstance(private, rsa.RSAPrivateKey) and private.key_size == RSA_BITS.get(spec)) or (
        isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == EC_CURVES.get(spec))
    if not fits:
        raise KmsError("IncorrectKeyMaterialException",
                       f"The key material is not a PKCS #8 private key for key spec {spec}.")
    canonical = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    return canonical, private


def _import_single_material(call: dispatch.KmsCall, key, secret: bytes) -> dict:
    """HMAC and asymmetric keys: one material, bound to the key by its first import."""
    canonical, private = _load_material(key, secret)
    bound = getattr(key, "kmslab_imported", None)
    if bound is not None and not hmac.compare_digest(bound.secret, canonical):
        raise KmsError("IncorrectKeyMaterialException",
                       "The key material is not the key material that was previously imported into "
                       "this KMS key.")
    model, valid_to = _expiry(call)
    if bound is None:
        bound = key.kmslab_imported = symmetric.Material(symmetric.material_id(key.id, 0), canonical,
                                                         created=clock.current().now(), imported=True)
    bound.expiration_model, bound.valid_to = model, valid_to
    if private is None:
        key.key_material = canonical  # moto's GenerateMac/VerifyMac read it
    else:
        key.private_key = private
    if key.key_state == "PendingImport":
        key.key_state, key.enabled = "Enabled", True
    key.kmslab_import_parameters = None
    return {"KeyId": key.arn}


def current(key):
    """The key's current imported material (any key spec), or None."""
    if key.key_spec == "SYMMETRIC_DEFAULT":
        return symmetric.current_material(key)
    return getattr(key, "kmslab_imported", None)


@dispatch.operation("DeleteImportedKeyMaterial")
def delete_imported_key_material(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    _require_external(key)
    material = current(key)
    if key.key_state != "PendingDeletion":
        key.key_state, key.enabled = "PendingImport", False
    result = {"KeyId": key.arn}
    if material is not None and key.key_spec == "SYMMETRIC_DEFAULT":
        result["KeyMaterialId"] = material.id
    return result


@keys.on_access
def expire_material(key) -> None:
    """At ValidTo KMS deletes the imported material; the key waits for a re-import."""
    if key.origin != "EXTERNAL" or key.key_state not in ("Enabled", "Disabled"):
        return
    material = current(key)
    if material is not None and material.valid_to is not None and clock.current().now() >= material.valid_to:
        key.key_state, key.enabled = "PendingImport", False


@key_metadata.contributes
def describe_expiration(key, meta: dict) -> None:
    if key.origin != "EXTERNAL":
        return
    material = current(key)
    if material is not None and key.key_state != "PendingImport":
        meta["ExpirationModel"] = material.expiration_model
        if material.valid_to is not None:
            meta["ValidTo"] = rotation.epoch(material.valid_to)
