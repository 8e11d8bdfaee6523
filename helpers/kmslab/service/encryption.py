"""Encrypt, Decrypt, ReEncrypt and GenerateDataKey* with real key material.

Symmetric keys use `symmetric.seal/unseal` (AES-256-GCM, material versions).
RSA ENCRYPT_DECRYPT keys are handed to `service.asymmetric.encrypt/decrypt`.
Key resolution, key state and key usage were checked by earlier stages.
"""
from __future__ import annotations

import dataclasses
import os

from . import dispatch, symmetric
from .errors import KmsError

SYMMETRIC = "SYMMETRIC_DEFAULT"


def _asymmetric(call: dispatch.KmsCall, action: str, key) -> dict:
    try:
        from . import asymmetric
    except ImportError:
        raise KmsError("UnsupportedOperationException",
                       f"The sandbox does not implement {call.operation} with {key.key_spec} keys yet.")
    return getattr(asymmetric, action)(call, key)


def _is_asymmetric(key) -> bool:
    return key.key_spec != SYMMETRIC


def _check_plaintext(plaintext: bytes | None) -> bytes:
    # PlaintextType is 1..4096 bytes (sources: encrypt-plaintext-limits); botocore checks only the minimum.
    if not plaintext:
        raise KmsError("ValidationException",
                       "1 validation error detected: Value at 'plaintext' failed to satisfy "
                       "constraint: Member must have length greater than or equal to 1")
    if len(plaintext) > symmetric.MAX_PLAINTEXT:
        raise KmsError("ValidationException",
                       "1 validation error detected: Value at 'plaintext' failed to satisfy "
                       "constraint: Member must have length less than or equal to 4096")
    return plaintext


@dispatch.operation("Encrypt")
def encrypt(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    if _is_asymmetric(key):
        return _asymmetric(call, "encrypt", key)
    plaintext = _check_plaintext(call.blob("Plaintext"))
    blob = symmetric.seal(key, plaintext, call.params.get("EncryptionContext"))
    return {"CiphertextBlob": symmetric.b64(blob), "KeyId": key.arn, "EncryptionAlgorithm": SYMMETRIC}


def _decrypt(call: dispatch.KmsCall, key, context_param: str) -> tuple[bytes, dict]:
    blob = call.blob("CiphertextBlob")
    if _is_asymmetric(key):
        result = _asymmetric(call, "decrypt", key)
        return symmetric.base64.b64decode(result["Plaintext"]), result
    material, plaintext = symmetric.unseal(blob, call.params.get(context_param), key)
    return plaintext, {"KeyId": key.arn, "EncryptionAlgorithm": SYMMETRIC, "KeyMaterialId": material.id}


@dispatch.operation("Decrypt")
def decrypt(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    plaintext, result = _decrypt(call, key, "EncryptionContext")
    return {**result, "Plaintext": symmetric.b64(plaintext)}


@dispatch.operation("ReEncrypt")
def re_encrypt(call: dispatch.KmsCall) -> dict:
    source, destination = call.notes["key"], call.notes["destination_key"]
    params = dict(call.params)
    source_call = dataclasses.replace(call, operation="Decrypt", params={
        "CiphertextBlob": params.get("CiphertextBlob"), "KeyId": source.id,
        "EncryptionContext": params.get("SourceEncryptionContext"),
        "EncryptionAlgorithm": params.get("SourceEncryptionAlgorithm", SYMMETRIC)})
    plaintext, decrypted = _decrypt(source_call, source, "EncryptionContext")
    if _is_asymmetric(destination):
        dest_call = dataclasses.replace(call, operation="Encrypt", params={
            "KeyId": destination.id, "Plaintext": symmetric.b64(plaintext),
            "EncryptionAlgorithm": params.get("DestinationEncryptionAlgorithm")})
        encrypted = _asymmetric(dest_call, "encrypt", destination)
        blob, dest_material = encrypted["CiphertextBlob"], None
    else:
        material = symmetric.current_material(destination)
        blob = symmetric.b64(symmetric.seal(destination, plaintext,
                                            params.get("DestinationEncryptionContext"), material))
        dest_material = material.id
    result = {"CiphertextBlob": blob, "SourceKeyId": source.arn, "KeyId": destination.arn,
              "SourceEncryptionAlgorithm": decrypted.get("EncryptionAlgorithm", SYMMETRIC),
              "DestinationEncryptionAlgorithm": params.get("DestinationEncryptionAlgorithm", SYMMETRIC)}
    if decrypted.get("KeyMaterialId"):
        result["SourceKeyMaterialId"] = decrypted["KeyMaterialId"]
    if dest_material:
        result["DestinationKeyMaterialId"] = dest_material
    return result


def _data_key_length(call: dispatch.KmsCall) -> int:
    # Either KeySpec (AES_128/AES_256) or NumberOfBytes 1..1024, not both (sources: data-key-sizes).
    spec, size = call.params.get("KeySpec"), call.params.get("NumberOfBytes")
    if (spec is None) == (size is None):
        raise KmsError("ValidationException", "Please specify either number of bytes or key spec.")
    if spec is not None:
        if spec not in ("AES_128", "AES_256"):
            raise KmsError("ValidationException",
                           f"1 validation error detected: Value '{spec}' at 'keySpec' failed to "
                           "satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]")
        return 16 if spec == "AES_128" else 32
    if not 1 <= int(size) <= 1024:
        raise KmsError("ValidationException",
                       f"1 validation error detected: Value '{size}' at 'numberOfBytes' failed to "
                       "satisfy constraint: Member must have value less than or equal to 1024")
    return int(size)


@dispatch.operation("GenerateDataKey")
def generate_data_key(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    plaintext = os.urandom(_data_key_length(call))
    material = symmetric.current_material(key)
    blob = symmetric.seal(key, plaintext, call.params.get("EncryptionContext"), material)
    return {"CiphertextBlob": symmetric.b64(blob), "Plaintext": symmetric.b64(plaintext),
            "KeyId": key.arn, "KeyMaterialId": material.id}


@dispatch.operation("GenerateDataKeyWithoutPlaintext")
def generate_data_key_without_plaintext(call: dispatch.KmsCall) -> dict:
    result = generate_data_key(call)
    del result["Plaintext"]
    return result


@dispatch.before(dispatch.VALIDATE, "generate-random-size")
def _random_size(call: dispatch.KmsCall) -> None:
    # NumberOfBytes is 1..1024 with no default (sources: data-key-sizes); moto crashes on a missing value.
    if call.operation == "GenerateRandom" and call.params.get("NumberOfBytes") is None:
        raise KmsError("ValidationException", "1 validation error detected: Value null at "
                       "'numberOfBytes' failed to satisfy constraint: Member must not be null")
