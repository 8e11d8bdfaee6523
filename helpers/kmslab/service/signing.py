"""Sign and Verify as AWS does them.

moto hashes a DIGEST message again, salts RSA-PSS with the maximum length, accepts
messages over 4096 bytes and answers a bad signature with SignatureValid False
(moto-gaps). Here:
- MessageType=DIGEST signs the given digest (it must be the algorithm's length);
- RSA-PSS uses a salt as long as the digest, so standard offline verification passes;
- ECDSA signatures are DER, like AWS's;
- a signature that does not verify raises KMSInvalidSignatureException;
- Ed25519 keys sign with ED25519_SHA_512 (PureEdDSA, RAW messages); ED25519_PH_SHA_512
  needs Ed25519ph, which `cryptography` lacks, so the sandbox refuses it
  (UnsupportedOperationException, listed on the ledger page);
- ML-DSA keys sign with ML_DSA_SHAKE_256: RAW (pure ML-DSA, empty context) or
  EXTERNAL_MU (the 64-byte mu), as https://docs.aws.amazon.com/kms/latest/developerguide/mldsa.html
  describes; both give signatures that verify offline with the public key.
"""
from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from . import dispatch
from .asymmetric import b64, find_key, private_key
from .errors import KmsError, invalid_key_usage, validation

#: (sources: rsa-algorithms, signing-algorithms) the hash behind each signing algorithm.
HASHES = {
    "RSASSA_PSS_SHA_256": hashes.SHA256, "RSASSA_PSS_SHA_384": hashes.SHA384,
    "RSASSA_PSS_SHA_512": hashes.SHA512,
    "RSASSA_PKCS1_V1_5_SHA_256": hashes.SHA256, "RSASSA_PKCS1_V1_5_SHA_384": hashes.SHA384,
    "RSASSA_PKCS1_V1_5_SHA_512": hashes.SHA512,
    "ECDSA_SHA_256": hashes.SHA256, "ECDSA_SHA_384": hashes.SHA384,
    "ECDSA_SHA_512": hashes.SHA512,
}
MAX_MESSAGE = 4096  # sources: sign-message-limit

#: Algorithms without a hash step here: Ed25519 hashes inside EdDSA, ML-DSA uses SHAKE256.
SIGNING_ALGORITHMS = (*HASHES, "ED25519_SHA_512", "ED25519_PH_SHA_512", "ML_DSA_SHAKE_256")
MESSAGE_TYPES = ("RAW", "DIGEST", "EXTERNAL_MU")
#: API_Sign, MessageType: ED25519_SHA_512 needs RAW, ED25519_PH_SHA_512 needs DIGEST;
#: EXTERNAL_MU is the 64-byte mu of ML-DSA (FIPS 204 section 6.2,
#: https://docs.aws.amazon.com/kms/latest/developerguide/mldsa.html). Others: RAW or DIGEST.
MESSAGE_TYPES_BY_ALGORITHM = {"ED25519_SHA_512": ("RAW",), "ED25519_PH_SHA_512": ("DIGEST",),
                              "ML_DSA_SHAKE_256": ("RAW", "EXTERNAL_MU")}
MU_BYTES = 64
#: What the installed `cryptography` cannot do (listed on the ledger page).
NOT_AVAILABLE = {"ED25519_PH_SHA_512": "the installed cryptography has no Ed25519ph (HashEdDSA)"}


def _required(call: dispatch.KmsCall, name: str):
    value = call.params.get(name)
    if value in (None, ""):
        field = name[0].lower() + name[1:]
        raise validation(f"1 validation error detected: Value null at '{field}' failed to "
                         "satisfy constraint: Member must not be null")
    return value


def _prepare(call: dispatch.KmsCall):
    """Check the request; return (key, algorithm, message, message type)."""
    _required(call, "KeyId")
    message = call.blob("Message")
    if not message:
        raise validation("1 validation error detected: Value at 'message' failed to satisfy "
                         "constraint: Member must have length greater than or equal to 1")
    if len(message) > MAX_MESSAGE:
        raise validation("1 validation error detected: Value at 'message' failed to satisfy "
                         f"constraint: Member must have length less than or equal to {MAX_MESSAGE}")
    algorithm = _required(call, "SigningAlgorithm")
    message_type = call.params.get("MessageType") or "RAW"
    if message_type not in MESSAGE_TYPES:
        raise validation(f"1 validation error detected: Value '{message_type}' at 'messageType' "
                         "failed to satisfy constraint: Member must satisfy enum value set: "
                         f"[{', '.join(MESSAGE_TYPES)}]")
    key = find_key(call)  # key_usage.py has already refused keys that are not SIGN_VERIFY
    if algorithm not in (key.signing_algorithms or []) or algorithm not in SIGNING_ALGORITHMS:
        raise invalid_key_usage(f"Algorithm {algorithm} is incompatible with key spec "
                                f"{key.key_spec}.")
    allowed = MESSAGE_TYPES_BY_ALGORITHM.get(algorithm, ("RAW", "DIGEST"))
    if message_type not in allowed:
        raise validation(f"Signing algorithm {algorithm} requires MessageType "
                         f"{' or '.join(allowed)}; got {message_type}.")
    if message_type == "DIGEST" and algorithm in HASHES and len(message) != HASHES[algorithm].digest_size:
        raise validation(f"Digest is invalid length for algorithm {algorithm}.")
    if message_type == "EXTERNAL_MU" and len(message) != MU_BYTES:
        raise validation(f"Message for MessageType EXTERNAL_MU must be {MU_BYTES} bytes.")
    if algorithm in NOT_AVAILABLE:
        raise KmsError("UnsupportedOperationException",
                       f"The sandbox cannot use signing algorithm {algorithm}: {NOT_AVAILABLE[algorithm]}.")
    return key, algorithm, message, message_type


def _scheme(algorithm: str, digest: bool):
    """(padding or None, hash-or-Prehashed) for `cryptography`'s RSA and ECDSA sign/verify."""
    hash_ = HASHES[algorithm]()
    chosen = utils.Prehashed(hash_) if digest else hash_
    if algorithm.startswith("RSASSA_PSS"):
        # Salt length = digest length, as KMS signs (so PSS.DIGEST_LENGTH verifies offline).
        return padding.PSS(mgf=padding.MGF1(hash_), salt_length=hash_.digest_size), chosen
    if algorithm.startswith("RSASSA_PKCS1"):
        return padding.PKCS1v15(), chosen
    return None, ec.ECDSA(chosen)  # DER-encoded (r, s), like AWS


def _sign(private, algorithm: str, message: bytes, message_type: str) -> bytes:
    if algorithm == "ED25519_SHA_512":  # PureEdDSA over the message (RFC 8032)
        return private.sign(message)
    if algorithm == "ML_DSA_SHAKE_256":  # FIPS 204 ML-DSA.Sign, empty context; or over mu
        return private.sign_mu(message) if message_type == "EXTERNAL_MU" else private.sign(message)
    pad, scheme = _scheme(algorithm, message_type == "DIGEST")
    return private.sign(message, scheme) if pad is None else private.sign(message, pad, scheme)


def _verify(public, algorithm: str, message: bytes, message_type: str, signature: bytes) -> None:
    """Raises InvalidSignature (or ValueError) when the signature does not verify."""
    if algorithm == "ED25519_SHA_512":
        public.verify(signature, message)
    elif algorithm == "ML_DSA_SHAKE_256":
        if message_type == "EXTERNAL_MU":
            public.verify_mu(signature, message)
        else:
            public.verify(signature, message)
    else:
        pad, scheme = _scheme(algorithm, message_type == "DIGEST")
        if pad is None:
            public.verify(signature, message, scheme)
        else:
            public.verify(signature, message, pad, scheme)


@dispatch.operation("Sign")
def sign(call: dispatch.KmsCall) -> dict:
    key, algorithm, message, message_type = _prepare(call)
    signature = _sign(private_key(key), algorithm, message, message_type)
    return {"KeyId": key.arn, "Signature": b64(signature), "SigningAlgorithm": algorithm}


@dispatch.operation("Verify")
def verify(call: dispatch.KmsCall) -> dict:
    signature = call.blob("Signature")
    if not signature:
        raise validation("1 validation error detected: Value at 'signature' failed to satisfy "
                         "constraint: Member must have length greater than or equal to 1")
    key, algorithm, message, message_type = _prepare(call)
    try:
        _verify(private_key(key).public_key(), algorithm, message, message_type, signature)
    except (InvalidSignature, ValueError):
        # API_Verify: "If the signature is not verified, the Verify operation fails with a
        # KMSInvalidSignatureException"; AWS sends no message with it.
        raise KmsError("KMSInvalidSignatureException", "") from None
    return {"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm}
