"""Sign and Verify as AWS does them.

moto hashes a DIGEST message again, salts RSA-PSS with the maximum length, accepts
messages over 4096 bytes and answers a bad signature with SignatureValid False
(moto-gaps). Here:
- MessageType=DIGEST signs the given digest (it must be the algorithm's length);
- RSA-PSS uses a salt as long as the digest, so standard offline verification passes;
- ECDSA signatures are DER, like AWS's;
- a signature that does not verify raises KMSInvalidSignatureException.
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


def _required(call: dispatch.KmsCall, name: str):
    value = call.params.get(name)
    if value in (None, ""):
        field = name[0].lower() + name[1:]
        raise validation(f"1 validation error detected: Value null at '{field}' failed to "
                         "satisfy constraint: Member must not be null")
    return value


def _prepare(call: dispatch.KmsCall):
    """Check the request; return (key, algorithm, data to sign, is_digest)."""
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
    if message_type not in ("RAW", "DIGEST"):
        raise validation(f"1 validation error detected: Value '{message_type}' at 'messageType' "
                         "failed to satisfy constraint: Member must satisfy enum value set: "
                         "[RAW, DIGEST]")
    key = find_key(call)  # key_usage.py has already refused keys that are not SIGN_VERIFY
    if algorithm not in (key.signing_algorithms or []) or algorithm not in HASHES:
        raise invalid_key_usage(f"Algorithm {algorithm} is incompatible with key spec "
                                f"{key.key_spec}.")
    digest = message_type == "DIGEST"
    if digest and len(message) != HASHES[algorithm].digest_size:
        raise validation(f"Digest is invalid length for algorithm {algorithm}.")
    return key, algorithm, message, digest


def _scheme(algorithm: str, digest: bool):
    """(padding or None, hash-or-Prehashed) for `cryptography`'s sign/verify."""
    hash_ = HASHES[algorithm]()
    chosen = utils.Prehashed(hash_) if digest else hash_
    if algorithm.startswith("RSASSA_PSS"):
        # Salt length = digest length, as KMS signs (so PSS.DIGEST_LENGTH verifies offline).
        return padding.PSS(mgf=padding.MGF1(hash_), salt_length=hash_.digest_size), chosen
    if algorithm.startswith("RSASSA_PKCS1"):
        return padding.PKCS1v15(), chosen
    return None, ec.ECDSA(chosen)  # DER-encoded (r, s), like AWS


@dispatch.operation("Sign")
def sign(call: dispatch.KmsCall) -> dict:
    key, algorithm, message, digest = _prepare(call)
    pad, scheme = _scheme(algorithm, digest)
    signer = private_key(key)
    signature = signer.sign(message, scheme) if pad is None else signer.sign(message, pad, scheme)
    return {"KeyId": key.arn, "Signature": b64(signature), "SigningAlgorithm": algorithm}


@dispatch.operation("Verify")
def verify(call: dispatch.KmsCall) -> dict:
    signature = call.blob("Signature")
    if not signature:
        raise validation("1 validation error detected: Value at 'signature' failed to satisfy "
                         "constraint: Member must have length greater than or equal to 1")
    key, algorithm, message, digest = _prepare(call)
    pad, scheme = _scheme(algorithm, digest)
    public = private_key(key).public_key()
    try:
        if pad is None:
            public.verify(signature, message, scheme)
        else:
            public.verify(signature, message, pad, scheme)
    except (InvalidSignature, ValueError):
        # API_Verify: "If the signature is not verified, the Verify operation fails with a
        # KMSInvalidSignatureException"; AWS sends no message with it.
        raise KmsError("KMSInvalidSignatureException", "") from None
    return {"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm}
