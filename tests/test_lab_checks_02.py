"""Lab 02 checks: a right answer and typical wrong answers, built in a real sandbox."""
from __future__ import annotations

import base64
import json
import os

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kmslab import sandbox
from kmslab.teach.checks import OK, TODO, WRONG
from kmslab.teach.lab_checks.lab02_envelope import (check_context_bound, check_envelope_file,
                                                     check_tamper_detected)

CONTENT = b"date,amount\n2026-06-01,1200\n" * 40
CONTEXT = {"department": "finance"}
b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    box = sandbox.start()
    kms = box.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    folder = tmp_path_factory.mktemp("lab02")
    report = folder / "report.csv"
    report.write_bytes(CONTENT)
    yield kms, key_id, folder, report
    box.stop()


def seal(kms, key_id, path, content=CONTENT, context=None, spec="AES_256", store_key=False,
         aad=None, fields=None):
    kwargs = {"EncryptionContext": context} if context else {}
    dk = kms.generate_data_key(KeyId=key_id, KeySpec=spec, **kwargs)
    nonce = os.urandom(12)
    doc = {"encrypted_data_key": b64(dk["CiphertextBlob"]), "nonce": b64(nonce),
           "ciphertext": b64(AESGCM(dk["Plaintext"]).encrypt(nonce, content, aad))}
    if store_key:
        doc["data_key"] = b64(dk["Plaintext"])
    doc.update(fields or {})
    path.write_text(json.dumps(doc))
    return path


def open_sealed(kms, path, context=None):
    doc = {k: base64.b64decode(v) for k, v in json.loads(path.read_text()).items()}
    kwargs = {"EncryptionContext": context} if context else {}
    key = kms.decrypt(CiphertextBlob=doc["encrypted_data_key"], **kwargs)["Plaintext"]
    return AESGCM(key).decrypt(doc["nonce"], doc["ciphertext"], None)


# --- task 1 ---

def _write(path, data):
    path.write_bytes(data)
    return path


def test_file_right_answer(env):
    kms, key_id, folder, report = env
    sealed = seal(kms, key_id, folder / "ok.enc")
    fb = check_envelope_file(kms, sealed, report, open_sealed(kms, sealed))
    assert fb.status == OK, fb.text


def test_file_todo(env):
    kms, key_id, folder, report = env
    assert check_envelope_file(kms, ..., report, ...).status == TODO
    fb = check_envelope_file(kms, folder / "never-written.enc", report, b"x")
    assert fb.status == TODO and "not done yet" in fb.text
    assert check_envelope_file(kms, folder / "never-written.enc", report, None).status == TODO  # the starter


def test_decrypt_file_that_returns_nothing_is_named(env):
    """A decrypt_file without `return` gives None: that is a mistake, not "not done yet"."""
    kms, key_id, folder, report = env
    sealed = seal(kms, key_id, folder / "half.enc")
    fb = check_envelope_file(kms, sealed, report, None)
    assert fb.status == WRONG and fb.part == "decrypt_file", fb.text
    assert "your function returned nothing (did you forget `return`?)" in fb.text
    assert "not done yet" not in fb.text


@pytest.mark.parametrize("make, recovered, part, words", [
    (lambda kms, k, p: seal(kms, k, p, store_key=True), CONTENT, "plaintext data key", "base64"),
    (lambda kms, k, p: _write(p, b"\x01\x02 not json"), CONTENT, "file format", "not JSON"),
    (lambda kms, k, p: _write(p, json.dumps({"ciphertext": "AA=="}).encode()), CONTENT, "file format", "missing"),
    (lambda kms, k, p: seal(kms, k, p, context=CONTEXT), CONTENT, "encrypted_data_key", "encryption context"),
    (lambda kms, k, p: seal(kms, k, p, spec="AES_128"), CONTENT, "data key size", "128 bits"),
    (lambda kms, k, p: seal(kms, k, p, aad=b"report.csv"), CONTENT, "ciphertext", "does not decrypt"),
    (lambda kms, k, p: seal(kms, k, p, content=b"something else"), CONTENT, "ciphertext", "original"),
    (lambda kms, k, p: seal(kms, k, p), "date,amount", "decrypt_file", "str"),
    (lambda kms, k, p: seal(kms, k, p), b"date,amount", "decrypt_file", "differ"),
], ids=["key stored", "not json", "missing fields", "context used", "AES_128", "aad", "other content",
        "returns str", "returns other bytes"])
def test_file_wrong_answers(env, make, recovered, part, words):
    kms, key_id, folder, report = env
    sealed = make(kms, key_id, folder / f"wrong-{part.replace(' ', '_')}-{words[:5]}.enc")
    fb = check_envelope_file(kms, sealed, report, recovered)
    assert fb.status == WRONG and fb.part == part and words in fb.message, fb.text
    assert fb.hint and "lesson" in fb.hint


def test_file_with_data_key_from_another_place(env):
    """A locally generated key stored nowhere: KMS cannot decrypt the 'encrypted' key."""
    kms, key_id, folder, report = env
    path = folder / "local-key.enc"
    path.write_text(json.dumps({"encrypted_data_key": b64(b"\x00" * 40), "nonce": b64(b"\x00" * 12),
                                "ciphertext": b64(b"\x00" * 32)}))
    fb = check_envelope_file(kms, path, report, CONTENT)
    assert fb.status == WRONG and "Traceback" not in fb.text


# --- task 2 ---

def test_context_right_answer(env):
    kms, key_id, folder, _ = env
    bound = seal(kms, key_id, folder / "bound.enc", context=CONTEXT)
    assert check_context_bound(kms, bound, CONTEXT).status == OK


def test_context_todo(env):
    kms, key_id, folder, _ = env
    assert check_context_bound(kms, folder / "bound-missing.enc", ...).status == TODO
    assert check_context_bound(kms, folder / "bound-missing.enc", CONTEXT).status == TODO


@pytest.mark.parametrize("sealed_with, given, part, words", [
    (None, CONTEXT, "binding", "no context"),
    ({"department": "hr"}, CONTEXT, "context", "another context"),
    ({**CONTEXT, "year": "2026"}, CONTEXT, "context", "another context"),
    (CONTEXT, "department=finance", "context", "dict"),
    (CONTEXT, {"department": 7}, "context", "strings"),
], ids=["not bound", "other value", "extra pair", "a string", "non-string value"])
def test_context_wrong_answers(env, sealed_with, given, part, words):
    kms, key_id, folder, _ = env
    bound = seal(kms, key_id, folder / "bound-wrong.enc", context=sealed_with)
    fb = check_context_bound(kms, bound, given)
    assert fb.status == WRONG and fb.part == part and words in fb.message, fb.text


# --- task 3 ---

def _tamper(sealed, target, field="ciphertext", breaker=None):
    doc = json.loads(sealed.read_text())
    raw = bytearray(base64.b64decode(doc[field]))
    raw[len(raw) // 2] ^= 0x01
    doc[field] = b64(bytes(raw))
    text = json.dumps(doc)
    target.write_text(breaker(text) if breaker else text)
    return target


def _decrypt_error(kms, path):
    try:
        open_sealed(kms, path)
    except Exception as exc:  # noqa: BLE001 - the lab keeps whatever was raised
        return exc
    return None


@pytest.fixture(scope="module")
def sealed(env):
    kms, key_id, folder, _ = env
    return seal(kms, key_id, folder / "to-tamper.enc")


def test_tamper_right_answer(env, sealed):
    kms, _, folder, _ = env
    tampered = _tamper(sealed, folder / "tampered.enc")
    error = _decrypt_error(kms, tampered)
    assert isinstance(error, InvalidTag)
    fb = check_tamper_detected(kms, sealed, tampered, error)
    assert fb.status == OK and "InvalidTag" in fb.message, fb.text


def test_tamper_accepts_a_wrapped_invalid_tag(env, sealed):
    kms, _, folder, _ = env
    tampered = _tamper(sealed, folder / "tampered-wrapped.enc")
    try:
        try:
            open_sealed(kms, tampered)
        except InvalidTag as inner:
            raise ValueError("file was tampered with") from inner
    except ValueError as outer:
        assert check_tamper_detected(kms, sealed, tampered, outer).status == OK


def test_tamper_todo(env, sealed):
    kms, _, folder, _ = env
    assert check_tamper_detected(kms, sealed, ..., ...).status == TODO
    assert check_tamper_detected(kms, sealed, folder / "no-such.enc", ValueError()).status == TODO


def test_tamper_wrong_answers(env, sealed):
    kms, _, folder, _ = env
    # flipped a byte of the encrypted data key: KMS refuses, not AES-GCM
    edk = _tamper(sealed, folder / "t-edk.enc", field="encrypted_data_key")
    fb = check_tamper_detected(kms, sealed, edk, _decrypt_error(kms, edk))
    assert fb.status == WRONG and fb.part == "what you changed" and "encrypted data key" in fb.message
    # changed the nonce
    nonce = _tamper(sealed, folder / "t-nonce.enc", field="nonce")
    fb = check_tamper_detected(kms, sealed, nonce, _decrypt_error(kms, nonce))
    assert fb.status == WRONG and fb.part == "what you changed" and "nonce" in fb.message
    # copied the file unchanged
    same = folder / "t-same.enc"
    same.write_text(sealed.read_text())
    fb = check_tamper_detected(kms, sealed, same, RuntimeError("nothing happened"))
    assert fb.status == WRONG and fb.part == "tampered" and "unchanged" in fb.message
    # the right file, but the error kept is the wrong kind (a KeyError from the learner's bug)
    good = _tamper(sealed, folder / "t-good.enc")
    fb = check_tamper_detected(kms, sealed, good, KeyError("ciphertext"))
    assert fb.status == WRONG and fb.part == "error" and "KeyError is not an authentication failure" in fb.message
    # the message of the exception, not the exception
    fb = check_tamper_detected(kms, sealed, good, "InvalidTag")
    assert fb.status == WRONG and fb.part == "error" and "exception object" in fb.message
    # tampering that broke the JSON: the learner's decrypt raised JSONDecodeError
    broken = folder / "t-broken.enc"
    broken.write_text(sealed.read_text()[:-3])
    fb = check_tamper_detected(kms, sealed, broken, json.JSONDecodeError("x", "y", 0))
    assert fb.status == WRONG and fb.part == "file format"


# --- more wrong answers, found by working through the starter ---

def test_file_fields_in_hex_are_named(env):
    kms, key_id, folder, report = env
    dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    nonce = os.urandom(12)
    path = folder / "hex.enc"
    path.write_text(json.dumps({"encrypted_data_key": dk["CiphertextBlob"].hex(), "nonce": nonce.hex(),
                                "ciphertext": AESGCM(dk["Plaintext"]).encrypt(nonce, CONTENT, None).hex()}))
    fb = check_envelope_file(kms, path, report, CONTENT)
    assert fb.status == WRONG and fb.part == "file format" and "looks like hex" in fb.message, fb.text


def test_file_with_a_16_byte_nonce(env):
    kms, key_id, folder, report = env
    dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    nonce = os.urandom(16)                      # AESGCM accepts it; the lab's format is 12 bytes
    path = folder / "nonce16.enc"
    path.write_text(json.dumps({"encrypted_data_key": b64(dk["CiphertextBlob"]), "nonce": b64(nonce),
                                "ciphertext": b64(AESGCM(dk["Plaintext"]).encrypt(nonce, CONTENT, None))}))
    fb = check_envelope_file(kms, path, report, CONTENT)
    assert fb.status == WRONG and fb.part == "nonce" and "16 bytes" in fb.message, fb.text


def test_context_as_aes_gcm_associated_data_is_not_a_kms_binding(env):
    kms, key_id, folder, _ = env
    bound = seal(kms, key_id, folder / "aad-not-kms.enc", aad=b"finance")
    fb = check_context_bound(kms, bound, CONTEXT)
    assert fb.status == WRONG and fb.part == "binding" and "EncryptionContext=context" in fb.message, fb.text


def test_context_as_list_of_pairs(env):
    kms, key_id, folder, _ = env
    bound = seal(kms, key_id, folder / "pairs.enc", context=CONTEXT)
    fb = check_context_bound(kms, bound, [("department", "finance")])
    assert fb.status == WRONG and fb.part == "context" and "dict" in fb.message, fb.text


def test_tamper_unchanged_copy_says_so_even_without_an_error(env, sealed):
    """decrypt_file succeeded on the unchanged copy, so `error` is still None: the file is the mistake."""
    kms, _, folder, _ = env
    same = folder / "t-same-none.enc"
    same.write_text(sealed.read_text())
    fb = check_tamper_detected(kms, sealed, same, None)
    assert fb.status == WRONG and fb.part == "tampered" and "unchanged" in fb.message, fb.text
    good = _tamper(sealed, folder / "t-good-none.enc")
    assert check_tamper_detected(kms, sealed, good, None).status == TODO
    fb = check_tamper_detected(kms, sealed, good, InvalidTag)        # the class, not the exception
    assert fb.status == WRONG and fb.part == "error" and "exception object" in fb.message, fb.text
