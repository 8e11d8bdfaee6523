"""Real asymmetric keys: RSAES-OAEP with the key's own private key, and GetPublicKey.

moto keeps a real private key on every asymmetric key but encrypts with an AES
blob (66 bytes for 2 bytes of plaintext) and never decrypts RSA ciphertext made
outside it (moto-gaps). Here Encrypt/Decrypt on an RSA ENCRYPT_DECRYPT key is
plain RSAES-OAEP, so ciphertext is exactly the modulus length and interoperates
with `cryptography` and the public key from GetPublicKey (sources: rsa-algorithms, public-key-download).

`encrypt(call, key)` and `decrypt(call, key)` are called by the Encrypt/Decrypt
operations (service/symmetric.py) for RSA keys. Signing lives in `signing.py`,
data key pairs in `data_key_pairs.py`; the helpers below are shared with them.
"""
from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from . import dispatch
from .errors import KmsError, invalid_key_usage, unsupported, validation

#: (sources: rsa-algorithms) the two RSA encryption algorithms and their OAEP hash.
OAEP_HASHES = {"RSAES_OAEP_SHA_1": hashes.SHA1, "RSAES_OAEP_SHA_256": hashes.SHA256}


# -- shared helpers -------------------------------------------------------------------
def find_key(call: dispatch.KmsCall, param: str = "KeyId"):
    """The moto Key the request names: the one the resolve-key stage found (keys.py),
    else looked up here (key id, key ARN, alias name or alias ARN)."""
    key = call.notes.get("key") if param == "KeyId" else None
    if key is not None:
        return key
    from .keys import find

    ref = call.params.get(param)
    if not ref:
        raise validation(f"1 validation error detected: Value null at '{param[0].lower()}"
                         f"{param[1:]}' failed to satisfy constraint: Member must not be null")
    return find(ref, call.account_id, call.region)


def private_key(key):
    """The `cryptography` private key behind a moto Key (moto wraps it)."""
    held = key.private_key
    inner = getattr(held, "private_key", held)
    if isinstance(inner, str):
        inner = inner.encode()
    if isinstance(inner, bytes):
        inner = serialization.load_pem_private_key(inner, password=None)
    return inner


def public_key_der(key) -> bytes:
    """DER SubjectPublicKeyInfo, the format GetPublicKey returns (sources: public-key-download)."""
    return private_key(key).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# -- RSAES-OAEP -----------------------------------------------------------------------
def max_plaintext(key_spec: str, algorithm: str) -> int:
    """(sources: encrypt-plaintext-limits) (key bits / 8) - 2 * (hash bits / 8) - 2, e.g. RSA_2048 + SHA-256 -> 190."""
    modulus_bytes = int(key_spec.split("_")[1]) // 8
    return modulus_bytes - 2 * OAEP_HASHES[algorithm].digest_size - 2


def _oaep(call: dispatch.KmsCall, key) -> tuple[str, padding.OAEP]:
    """The call's algorithm, checked against the key, and its OAEP padding."""
    # (sources: rsa-algorithms) asymmetric Encrypt/Decrypt must name the algorithm; the default,
    # SYMMETRIC_DEFAULT, is refused with AWS's message for an RSA key.
    algorithm = call.params.get("EncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
    if algorithm not in OAEP_HASHES:
        raise invalid_key_usage(f"Algorithm {algorithm} is incompatible with key spec {key.key_spec}.")
    # API_Encrypt: "An encryption context is supported only on operations with
    # symmetric encryption KMS keys."
    if call.params.get("EncryptionContext"):
        raise validation("EncryptionContext is not supported when encrypting/decrypting "
                         "with asymmetric CMKs.")
    digest = OAEP_HASHES[algorithm]()
    return algorithm, padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


def encrypt(call: dispatch.KmsCall, key) -> dict:
    """Encrypt on an RSA ENCRYPT_DECRYPT key: RSAES-OAEP under the key's public key."""
    algorithm, pad = _oaep(call, key)
    plaintext = call.blob("Plaintext") or b""
    if not plaintext:  # PlaintextType is 1..4096 bytes; botocore checks no blob length
        raise validation("1 validation error detected: Value at 'plaintext' failed to satisfy "
                         "constraint: Member must have length greater than or equal to 1")
    limit = max_plaintext(key.key_spec, algorithm)
    if len(plaintext) > limit:  # sources: encrypt-plaintext-limits
        raise validation(f"Algorithm {algorithm} and key spec {key.key_spec} cannot encrypt "
                         f"data larger than {limit} bytes.")
    ciphertext = private_key(key).public_key().encrypt(plaintext, pad)
    return {"CiphertextBlob": b64(ciphertext), "KeyId": key.arn, "EncryptionAlgorithm": algorithm}


def decrypt(call: dispatch.KmsCall, key) -> dict:
    """Decrypt on an RSA ENCRYPT_DECRYPT key; any valid OAEP ciphertext for it works,
    including one made outside KMS with the downloaded public key (sources: public-key-download)."""
    algorithm, pad = _oaep(call, key)
    ciphertext = call.blob("CiphertextBlob") or b""
    the_key = private_key(key)
    try:
        if len(ciphertext) != the_key.key_size // 8:
            raise ValueError("wrong length")
        plaintext = the_key.decrypt(ciphertext, pad)
    except ValueError:
        # AWS returns InvalidCiphertextException with an empty message.
        raise KmsError("InvalidCiphertextException", "") from None
    return {"Plaintext": b64(plaintext), "KeyId": key.arn, "EncryptionAlgorithm": algorithm}


# -- GetPublicKey -----------------------------------------------------------------------
@dispatch.operation("GetPublicKey")
def get_public_key(call: dispatch.KmsCall) -> dict:
    """Adds KeySpec (moto returns only the deprecated CustomerMasterKeySpec) and the key ARN."""
    key = find_key(call)
    if key.key_spec == "SYMMETRIC_DEFAULT" or key.key_spec.startswith("HMAC_"):
        # Only asymmetric keys have a public key (sources: public-key-download).
        raise unsupported(f"{key.arn} key KeySpec is {key.key_spec} which is not valid "
                          "for GetPublicKey.")
    result = {
        "KeyId": key.arn,
        "PublicKey": b64(public_key_der(key)),
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "KeyUsage": key.key_usage,
    }
    if key.key_usage == "ENCRYPT_DECRYPT":
        result["EncryptionAlgorithms"] = list(OAEP_HASHES)
    elif key.key_usage == "SIGN_VERIFY":
        result["SigningAlgorithms"] = list(key.signing_algorithms or [])
    elif key.key_usage == "KEY_AGREEMENT":  # sources: key-agreement
        result["KeyAgreementAlgorithms"] = ["ECDH"]
    elif key.key_usage == "ENCAPSULATE_DECAPSULATE":  # API_GetPublicKey, EncapsulationAlgorithms
        result["EncapsulationAlgorithms"] = ["ML_KEM"]
    return result
