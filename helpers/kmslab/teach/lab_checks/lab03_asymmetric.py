"""Checks for lab 03 (asymmetric keys): encrypt outside AWS with a KMS public key and
decrypt in KMS; sign a release file in KMS and verify it offline.

The checks decrypt and verify through boto3 (Decrypt, GetPublicKey) and `cryptography`,
as a partner holding only the public key would.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import tempfile
import weakref
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from .. import audit
from ..checks import Wrong, check, expect, require

HINT_PUBLIC = "lesson 05, '2. GetPublicKey: encrypt outside AWS, decrypt in KMS'"
HINT_SIGN = "lesson 05, '4. Sign and Verify'"
HINT_DIGEST = "lesson 05, '6. Raw messages vs digests'"
HINT_OFFLINE = "lesson 05, '5. Verify offline'"
_PREHASHED = ("Verifying a digest needs utils.Prehashed(hashes.SHA256()) (ec.ECDSA(hashes.SHA256()) alone would "
              "hash the digest again); RSASSA_PSS also needs salt_length=32")
SIGNING_ALGORITHMS = ("RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256", "ECDSA_SHA_256")


def _describe(kms: Any, key_id: Any, name: str) -> dict:
    expect(isinstance(key_id, str), name, f"{name} is a {type(key_id).__name__}; use the KeyId string")
    try:
        return kms.describe_key(KeyId=key_id)["KeyMetadata"]
    except ClientError as error:
        raise Wrong(name, f"KMS does not know {key_id!r} ({error.response['Error']['Code']})") from None


def _decrypts(kms: Any, key_id: str, blob: bytes, algorithm: str) -> bytes | None:
    try:
        return kms.decrypt(KeyId=key_id, CiphertextBlob=blob, EncryptionAlgorithm=algorithm)["Plaintext"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "InvalidCiphertextException":
            return None
        raise


@check("Task 1: encrypt outside AWS, decrypt in KMS", hint=HINT_PUBLIC)
def check_public_key_encryption(kms: Any, rsa_key_id: Any, ciphertext: Any, message: Any) -> str:
    meta = _describe(kms, rsa_key_id, "rsa_key_id")
    spec, usage = meta["KeySpec"], meta["KeyUsage"]
    expect(spec.startswith("RSA_"), "key spec",
           f"the key is {spec}: " + ("a symmetric key has no public key" if spec == "SYMMETRIC_DEFAULT"
                                     else "KMS encrypts with RSA keys only") + "; create an RSA key")
    expect(usage == "ENCRYPT_DECRYPT", "key usage",
           f"the key's usage is {usage}: a key has exactly one usage, fixed at creation; "
           "create it with KeyUsage='ENCRYPT_DECRYPT'")
    expect(isinstance(ciphertext, bytes), "ciphertext", f"ciphertext is a {type(ciphertext).__name__}, not bytes")
    size = int(spec.split("_")[1]) // 8
    expect(not _is_base64_of(ciphertext, size), "ciphertext",
           f"that is base64 text of a {size}-byte ciphertext: give KMS the raw bytes")
    expect(len(ciphertext) == size, "ciphertext",
           f"{len(ciphertext)} bytes; an {spec} ciphertext is exactly {size} bytes (was it made with this key?)")
    plaintext = _decrypts(kms, rsa_key_id, ciphertext, "RSAES_OAEP_SHA_256")
    if plaintext is None:
        if _decrypts(kms, rsa_key_id, ciphertext, "RSAES_OAEP_SHA_1") is not None:
            raise Wrong("padding", "you used OAEP with SHA-1; the task asks for RSAES_OAEP_SHA_256: "
                        "padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)")
        raise Wrong("padding", "KMS cannot decrypt it with RSAES_OAEP_SHA_256: use the public key from "
                    "GetPublicKey and OAEP with SHA-256 for both the hash and MGF1 (KMS has no PKCS#1 v1.5 "
                    "encryption)")
    expect(plaintext == message, "plaintext", "KMS decrypted it, but not to `message`")
    return f"KMS decrypted your {len(ciphertext)}-byte ciphertext back to the message (RSAES_OAEP_SHA_256)"


def _is_base64_of(blob: bytes, size: int) -> bool:
    try:
        return len(base64.b64decode(blob, validate=True)) == size
    except (binascii.Error, ValueError):
        return False


def _public_key(kms: Any, key_id: str):
    der = kms.get_public_key(KeyId=key_id)["PublicKey"]
    return serialization.load_der_public_key(der)


def verify_digest(public_key: Any, algorithm: str, signature: bytes, digest: bytes) -> bool:
    """Offline verification of a KMS signature over a SHA-256 digest."""
    prehashed = utils.Prehashed(hashes.SHA256())
    try:
        if algorithm == "ECDSA_SHA_256":
            public_key.verify(signature, digest, ec.ECDSA(prehashed))
        elif algorithm == "RSASSA_PSS_SHA_256":  # KMS uses a salt as long as the digest
            public_key.verify(signature, digest, padding.PSS(padding.MGF1(hashes.SHA256()), 32), prehashed)
        else:
            public_key.verify(signature, digest, padding.PKCS1v15(), prehashed)
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True


_clients: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _client(sb: Any, service: str) -> Any:
    """One client per sandbox and service: creating a boto3 client costs about half a second."""
    per_sandbox = _clients.setdefault(sb, {})
    if service not in per_sandbox:
        per_sandbox[service] = sb.client(service)
    return per_sandbox[service]


def _verify_events(cloudtrail: Any) -> int:
    return len(audit.lookup(cloudtrail, "Verify", limit=1000))


def _rejects(verify_offline: Any, path: Path, signature: bytes) -> bool:
    try:
        return not verify_offline(path, signature)
    except InvalidSignature:
        return True


@check("Task 2: a release signed in KMS, verified offline", hint=HINT_SIGN)
def check_release_signature(sb: Any, signing_key_id: Any, algorithm: Any, release: Any, signature: Any,
                            verify_offline: Any) -> str:
    kms = _client(sb, "kms")
    meta = _describe(kms, signing_key_id, "signing_key_id")
    expect(meta["KeyUsage"] == "SIGN_VERIFY", "key usage",
           f"the key's usage is {meta['KeyUsage']}; signing needs a key created with KeyUsage='SIGN_VERIFY'")
    expect(not (isinstance(algorithm, str) and algorithm.upper() in SIGNING_ALGORITHMS
                and algorithm not in SIGNING_ALGORITHMS), "algorithm",
           f"{algorithm!r}: write the name as KMS spells it, {str(algorithm).upper()!r}", HINT_SIGN)
    expect(algorithm in SIGNING_ALGORITHMS, "algorithm",
           f"{algorithm!r}: use a SHA-256 algorithm, one of {list(SIGNING_ALGORITHMS)}", HINT_SIGN)
    expect(algorithm in meta.get("SigningAlgorithms", []), "algorithm",
           f"a {meta['KeySpec']} key does not sign with {algorithm}; it offers {meta.get('SigningAlgorithms')}")
    expect(isinstance(signature, bytes), "signature", f"signature is a {type(signature).__name__}, not bytes")
    content = Path(release).read_bytes()
    digest = hashlib.sha256(content).digest()
    public_key = _public_key(kms, signing_key_id)
    if not verify_digest(public_key, algorithm, signature, digest):
        if verify_digest(public_key, algorithm, signature, hashlib.sha256(digest).digest()):
            raise Wrong("message type", "you signed the digest as a RAW message, so KMS hashed it again: "
                        "pass MessageType='DIGEST' with the file's SHA-256", HINT_DIGEST)
        raise Wrong("signature", f"does not verify with the key's public key over SHA-256 of the release file "
                    f"({algorithm}, MessageType='DIGEST')", HINT_DIGEST)
    require(verify_offline, "verify_offline")
    expect(callable(verify_offline), "verify_offline", "make it a function verify_offline(path, signature)")
    cloudtrail = _client(sb, "cloudtrail")
    before = _verify_events(cloudtrail)
    try:
        accepted = verify_offline(Path(release), signature)
    except InvalidSignature:
        raise Wrong("verify_offline", "raised InvalidSignature for the real release and its signature. "
                    + _PREHASHED, HINT_OFFLINE) from None
    except Exception as error:  # the learner's function: say what it did, not a traceback
        raise Wrong("verify_offline", f"verify_offline(path, signature) raised {type(error).__name__}: {error}",
                    HINT_OFFLINE) from None
    expect(accepted, "verify_offline", f"returned {accepted!r} for the real release and its signature. "
           + _PREHASHED, HINT_OFFLINE)
    expect(_verify_events(cloudtrail) == before, "verify_offline",
           "it called KMS Verify: verify offline with the public key and cryptography", HINT_OFFLINE)
    with tempfile.TemporaryDirectory(prefix="lab03-") as scratch:
        tampered = Path(scratch) / Path(release).name
        changed = bytearray(content)
        changed[len(changed) // 2] ^= 0x01
        tampered.write_bytes(bytes(changed))
        expect(_rejects(verify_offline, tampered, signature), "verify_offline",
               "it accepted a tampered release (one byte changed): it must hash the file it is given", HINT_OFFLINE)
    return f"{algorithm} signature verifies offline, and verify_offline rejects a tampered release"


__all__ = ["check_public_key_encryption", "check_release_signature", "verify_digest"]
