"""Checks for lab 02 (envelope encryption): a file sealed with a data key, an encryption
context bound to it, and tampering detected.

The lab's file format (the task states it):
    JSON {"encrypted_data_key": b64, "nonce": b64, "ciphertext": b64}
where ciphertext is AES-GCM's output (ciphertext + 16-byte tag) with no associated data,
under the 256-bit data key that KMS returned with `encrypted_data_key`.

The checks read the learner's file and call KMS Decrypt through a boto3 client, like any
program holding the file would.
"""
from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..checks import NotDone, Wrong, check, expect, require

HINT_STEPS = "lesson 04, '1. GenerateDataKey, step by step'"
HINT_CONTEXT = "lesson 03, '2. Encryption context: additional authenticated data'"
HINT_GCM = "lesson 03, '3. What SYMMETRIC_DEFAULT is: AES-256-GCM'"
FIELDS = ("encrypted_data_key", "nonce", "ciphertext")
# Exceptions that mean "authentication failed": cryptography's, and the envelope helper's (lesson 04).
AUTH_FAILURES = ("InvalidTag", "EnvelopeTamperedError")
_HEX = frozenset("0123456789abcdefABCDEF")


def read_sealed(path: Any) -> dict[str, bytes]:
    """The three fields of a sealed file, decoded; Wrong if the file is not in the lab's format."""
    try:
        doc = json.loads(Path(path).read_text())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Wrong("file format", "the file is not JSON: write json.dumps({...}) with base64 strings",
                    HINT_STEPS) from None
    expect(isinstance(doc, dict), "file format", "the file must hold one JSON object")
    missing = [f for f in FIELDS if f not in doc]
    expect(not missing, "file format", f"missing field(s) {missing}; the format is {list(FIELDS)}")
    fields = {}
    for name in FIELDS:
        value = doc[name]
        expect(not (isinstance(value, str) and len(value) >= 24 and all(c in _HEX for c in value)), "file format",
               f"{name} looks like hex; the format asks for base64 text: base64.b64encode(b).decode()")
        try:
            fields[name] = base64.b64decode(doc[name], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise Wrong("file format", f"{name} is not base64 text") from None
    return fields


def _sealed_file(path: Any, name: str) -> Path:
    require(path, name)
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        raise NotDone(f"nothing written to {name} yet")
    return path


def _key_leaks(data_key: bytes, raw: bytes) -> str | None:
    """How the plaintext data key appears in the file, if it does."""
    for label, form in (("raw bytes", data_key), ("base64", base64.b64encode(data_key)),
                        ("hex", data_key.hex().encode())):
        if form in raw:
            return label
    return None


def _open_body(fields: dict[str, bytes], data_key: bytes) -> bytes:
    expect(len(fields["nonce"]) == 12, "nonce", f"the nonce is {len(fields['nonce'])} bytes; AES-GCM uses 12",
           HINT_GCM)
    try:
        return AESGCM(data_key).decrypt(fields["nonce"], fields["ciphertext"], None)
    except InvalidTag:
        raise Wrong("ciphertext", "does not decrypt with the data key stored in encrypted_data_key "
                    "(another key, another nonce, or associated data the task did not ask for)",
                    HINT_STEPS) from None


def _envelope_file(kms: Any, sealed: Any, original: Any, recovered: Any) -> str:
    path = _sealed_file(sealed, "sealed")
    raw = path.read_bytes()
    fields = read_sealed(path)
    try:
        answer = kms.decrypt(CiphertextBlob=fields["encrypted_data_key"])
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "InvalidCiphertextException":
            raise Wrong("encrypted_data_key", "KMS cannot decrypt it (InvalidCiphertextException): store "
                        "GenerateDataKey's CiphertextBlob, and leave the encryption context out in this task"
                        ) from None
        raise
    data_key = answer["Plaintext"]
    leak = _key_leaks(data_key, raw)
    expect(leak is None, "plaintext data key",
           f"the file contains the plaintext data key ({leak}): store only the encrypted copy "
           "(CiphertextBlob) and drop the plaintext after use", HINT_STEPS)
    expect(len(data_key) == 32, "data key size",
           f"the data key is {len(data_key) * 8} bits; ask GenerateDataKey for KeySpec='AES_256'")
    body = _open_body(fields, data_key)
    content = Path(original).read_bytes()
    expect(body == content, "ciphertext", "decrypts, but not to the original file's bytes")
    if recovered is None:  # the file is right, so decrypt_file ran and gave back nothing
        raise Wrong("decrypt_file", "your function returned nothing (did you forget `return`?): "
                    "return the plaintext bytes", HINT_STEPS)
    require(recovered, "recovered")
    expect(isinstance(recovered, bytes), "decrypt_file",
           f"returned a {type(recovered).__name__}; return the plaintext bytes")
    expect(recovered == content, "decrypt_file", "returned bytes that differ from the original file")
    return f"KMS decrypts the data key, the data key opens the file ({len(content)} bytes), no plaintext key stored"


# `recovered` is None both before Task 1 is done and when decrypt_file forgets `return`:
# the sealed file tells them apart, so look at it first.
_envelope_file.accepts_unfinished = True  # type: ignore[attr-defined]
check_envelope_file = check("Task 1: a file encrypted with a data key", hint=HINT_STEPS)(_envelope_file)


@check("Task 2: an encryption context bound to the data key", hint=HINT_CONTEXT)
def check_context_bound(kms: Any, bound: Any, context: Any) -> str:
    require(context, "context")
    expect(isinstance(context, dict) and context, "context", "use a non-empty dict, e.g. {'department': 'finance'}")
    expect(all(isinstance(k, str) and isinstance(v, str) for k, v in context.items()), "context",
           "keys and values of an encryption context are strings")
    path = _sealed_file(bound, "bound")
    fields = read_sealed(path)
    edk = fields["encrypted_data_key"]
    try:
        kms.decrypt(CiphertextBlob=edk)
    except ClientError as error:
        if error.response["Error"]["Code"] != "InvalidCiphertextException":
            raise
    else:
        raise Wrong("binding", "KMS decrypted the data key with no context at all: pass "
                    "EncryptionContext=context to GenerateDataKey")
    try:
        data_key = kms.decrypt(CiphertextBlob=edk, EncryptionContext=context)["Plaintext"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "InvalidCiphertextException":
            raise
        raise Wrong("context", "KMS refuses the data key with `context`: the file was sealed under "
                    "another context (it must match exactly, every key and value)") from None
    altered = {**context, next(iter(context)): "someone-else"}
    try:
        kms.decrypt(CiphertextBlob=edk, EncryptionContext=altered)
    except ClientError:
        pass
    else:  # cannot happen with KMS; kept so the check never passes a broken sandbox
        raise Wrong("binding", "KMS accepted a different context")
    _open_body(fields, data_key)
    return "Decrypt fails without the context or with another value, and works with it"


def _is_auth_failure(error: BaseException) -> bool:
    seen = error
    while seen is not None:
        if type(seen).__name__ in AUTH_FAILURES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _tamper_detected(kms: Any, sealed: Any, tampered: Any, error: Any) -> str:
    original = read_sealed(_sealed_file(sealed, "sealed"))
    changed = read_sealed(_sealed_file(tampered, "tampered"))
    expect(changed["encrypted_data_key"] == original["encrypted_data_key"], "what you changed",
           "you changed the encrypted data key, so KMS refused it; leave it and flip a byte of the ciphertext")
    expect(changed["nonce"] == original["nonce"], "what you changed",
           "you changed the nonce; leave it and flip a byte of the ciphertext")
    diff = sum(a != b for a, b in zip(changed["ciphertext"], original["ciphertext"]))
    diff += abs(len(changed["ciphertext"]) - len(original["ciphertext"]))
    expect(diff > 0, "tampered", "the ciphertext is unchanged: flip one byte of it (e.g. XOR with 0x01)")
    require(error, "error")  # after the file checks: an unchanged copy decrypts, so error stays None
    expect(isinstance(error, BaseException), "error",
           f"error is a {type(error).__name__}; keep the exception object itself (except Exception as e: error = e)")
    data_key = kms.decrypt(CiphertextBlob=original["encrypted_data_key"])["Plaintext"]
    try:
        AESGCM(data_key).decrypt(changed["nonce"], changed["ciphertext"], None)
    except InvalidTag:
        pass
    else:
        raise Wrong("tampered", "the tampered file still decrypts")
    expect(_is_auth_failure(error), "error",
           f"{type(error).__name__} is not an authentication failure: decrypting the tampered file with "
           "AES-GCM raises cryptography's InvalidTag (did your change break the JSON or base64 instead?)")
    return f"{type(error).__name__}: AES-GCM's tag caught {diff} changed byte(s), and no plaintext came out"


# `error` stays None when decrypt_file did not raise (an unchanged copy): look at the files first.
_tamper_detected.accepts_unfinished = True  # type: ignore[attr-defined]
check_tamper_detected = check("Task 3: tampering is detected", hint=HINT_GCM)(_tamper_detected)
