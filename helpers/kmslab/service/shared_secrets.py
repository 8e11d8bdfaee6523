"""Shared secrets: DeriveSharedSecret (ECDH) and Encapsulate/Decapsulate (ML-KEM).

moto 5.2 has neither. Both run on the key's real `cryptography` private key.

DeriveSharedSecret (API_DeriveSharedSecret,
https://docs.aws.amazon.com/kms/latest/APIReference/API_DeriveSharedSecret.html):
- the key is a NIST ECC key with KeyUsage KEY_AGREEMENT (key_usage.py checks the usage);
- KeyAgreementAlgorithm ECDH is the only value;
- PublicKey is the peer's DER SubjectPublicKeyInfo on the same curve;
- the answer is the raw ECDH shared secret (the x-coordinate), the same value a peer
  derives offline with its private key and the KMS key's public key
  (https://docs.aws.amazon.com/kms/latest/developerguide/offline-operations.html).

Encapsulate/Decapsulate (API_Encapsulate, API_Decapsulate):
- ML-KEM keys (KeyUsage ENCAPSULATE_DECAPSULATE), EncapsulationAlgorithm ML_KEM;
- Encapsulate returns a 32-byte SharedSecret and its SharedSecretCiphertextBlob
  (768, 1088 or 1568 bytes for ML_KEM_512, 768, 1024);
- Decapsulate answers InvalidCiphertextException only for a ciphertext of the wrong
  length; any other ciphertext gives 32 pseudo-random bytes (implicit rejection, FIPS 203).
"""
from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from . import dispatch
from .asymmetric import b64, private_key
from .errors import KmsError, validation

CURVES = {"ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1, "ECC_NIST_P521": ec.SECP521R1}
CIPHERTEXT_BYTES = {"ML_KEM_512": 768, "ML_KEM_768": 1088, "ML_KEM_1024": 1568}


def _required(call: dispatch.KmsCall, name: str, allowed: tuple[str, ...]) -> str:
    value = call.params.get(name)
    field = name[0].lower() + name[1:]
    if value is None:
        raise validation(f"1 validation error detected: Value null at '{field}' failed to satisfy "
                         "constraint: Member must not be null")
    if value not in allowed:
        raise validation(f"1 validation error detected: Value '{value}' at '{field}' failed to "
                         f"satisfy constraint: Member must satisfy enum value set: [{', '.join(allowed)}]")
    return value


def _peer_public_key(call: dispatch.KmsCall, key) -> ec.EllipticCurvePublicKey:
    raw = call.blob("PublicKey")
    if not raw:
        raise validation("1 validation error detected: Value null at 'publicKey' failed to satisfy "
                         "constraint: Member must not be null")
    try:
        peer = serialization.load_der_public_key(raw)
    except (ValueError, TypeError):
        raise validation("PublicKey must be a DER-encoded X.509 SubjectPublicKeyInfo.") from None
    curve = CURVES.get(key.key_spec)
    if curve is None or not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != curve.name:
        raise validation(f"PublicKey is not a public key on the curve of key spec {key.key_spec}.")
    return peer


@dispatch.operation("DeriveSharedSecret")
def derive_shared_secret(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    algorithm = _required(call, "KeyAgreementAlgorithm", ("ECDH",))
    peer = _peer_public_key(call, key)
    secret = private_key(key).exchange(ec.ECDH(), peer)
    return {"KeyId": key.arn, "SharedSecret": b64(secret), "KeyAgreementAlgorithm": algorithm,
            "KeyOrigin": key.origin}


@dispatch.operation("Encapsulate")
def encapsulate(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    algorithm = _required(call, "EncapsulationAlgorithm", ("ML_KEM",))
    secret, ciphertext = private_key(key).public_key().encapsulate()
    return {"KeyId": key.arn, "SharedSecret": b64(secret), "SharedSecretCiphertextBlob": b64(ciphertext),
            "EncapsulationAlgorithm": algorithm}


@dispatch.operation("Decapsulate")
def decapsulate(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    algorithm = _required(call, "EncapsulationAlgorithm", ("ML_KEM",))
    ciphertext = call.blob("SharedSecretCiphertextBlob") or b""
    if len(ciphertext) != CIPHERTEXT_BYTES.get(key.key_spec):
        raise KmsError("InvalidCiphertextException", "")
    secret = private_key(key).decapsulate(ciphertext)
    return {"KeyId": key.arn, "SharedSecret": b64(secret), "EncapsulationAlgorithm": algorithm}
