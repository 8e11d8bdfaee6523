"""Lab 03 checks: a right answer and typical wrong answers, built in a real sandbox."""
from __future__ import annotations

import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from kmslab import sandbox
from kmslab.teach.checks import OK, TODO, WRONG
from kmslab.teach.lab_checks.lab03_asymmetric import check_public_key_encryption, check_release_signature

MESSAGE = b"partner order 7731: 40 units"
OAEP256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
OAEP1 = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    box = sandbox.start()
    kms = box.client("kms")
    keys = {
        "rsa": kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"],
        "rsa_sign": kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"],
        "ecc": kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"],
        "sym": kms.create_key()["KeyMetadata"]["KeyId"],
    }
    release = tmp_path_factory.mktemp("lab03") / "release-1.4.2.tar.gz"
    release.write_bytes(bytes(range(256)) * 80)
    yield box, kms, keys, release
    box.stop()


def public(kms, key_id):
    return serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])


# --- task 1 ---

def test_encrypt_right_answer(env):
    _, kms, keys, _ = env
    fb = check_public_key_encryption(kms, keys["rsa"], public(kms, keys["rsa"]).encrypt(MESSAGE, OAEP256), MESSAGE)
    assert fb.status == OK, fb.text


def test_encrypt_todo(env):
    _, kms, keys, _ = env
    assert check_public_key_encryption(kms, ..., ..., MESSAGE).status == TODO
    assert check_public_key_encryption(kms, keys["rsa"], ..., MESSAGE).status == TODO


def test_encrypt_wrong_answers(env):
    _, kms, keys, _ = env
    pub = public(kms, keys["rsa"])
    cases = [
        (keys["sym"], b"x" * 256, "key spec", "symmetric key has no public key"),
        (keys["ecc"], b"x" * 64, "key spec", "RSA keys only"),
        (keys["rsa_sign"], b"x" * 256, "key usage", "ENCRYPT_DECRYPT"),
        (keys["rsa"], pub.encrypt(MESSAGE, OAEP1), "padding", "SHA-1"),
        (keys["rsa"], pub.encrypt(MESSAGE, padding.PKCS1v15()), "padding", "PKCS#1 v1.5"),
        (keys["rsa"], rsa.generate_private_key(65537, 2048).public_key().encrypt(MESSAGE, OAEP256),
         "padding", "GetPublicKey"),
        (keys["rsa"], pub.encrypt(b"another message", OAEP256), "plaintext", "not to `message`"),
        (keys["rsa"], pub.encrypt(MESSAGE, OAEP256).hex(), "ciphertext", "not bytes"),
        (keys["rsa"], b"\x00" * 100, "ciphertext", "exactly 256 bytes"),
        ("not-a-key", b"x", "rsa_key_id", "does not know"),
    ]
    for key_id, blob, part, words in cases:
        fb = check_public_key_encryption(kms, key_id, blob, MESSAGE)
        assert fb.status == WRONG and fb.part == part and words in fb.message, (part, fb.text)
        assert "Traceback" not in fb.text


# --- task 2 ---

def sign(kms, key_id, data, algorithm, message_type="DIGEST"):
    return kms.sign(KeyId=key_id, Message=data, MessageType=message_type, SigningAlgorithm=algorithm)["Signature"]


def good_verifier(kms, key_id, algorithm):
    pub = public(kms, key_id)

    def verify_offline(path, signature):
        digest = hashlib.sha256(path.read_bytes()).digest()
        try:
            if algorithm.startswith("ECDSA"):
                pub.verify(signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
            else:
                pub.verify(signature, digest, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                           utils.Prehashed(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True
    return verify_offline


@pytest.mark.parametrize("key, algorithm", [("ecc", "ECDSA_SHA_256"), ("rsa_sign", "RSASSA_PSS_SHA_256")])
def test_sign_right_answers(env, key, algorithm):
    box, kms, keys, release = env
    signature = sign(kms, keys[key], hashlib.sha256(release.read_bytes()).digest(), algorithm)
    fb = check_release_signature(box, keys[key], algorithm, release, signature,
                                 good_verifier(kms, keys[key], algorithm))
    assert fb.status == OK, fb.text


def test_sign_todo(env):
    box, kms, keys, release = env
    assert check_release_signature(box, ..., ..., release, ..., ...).status == TODO
    signature = sign(kms, keys["ecc"], hashlib.sha256(release.read_bytes()).digest(), "ECDSA_SHA_256")
    assert check_release_signature(box, keys["ecc"], "ECDSA_SHA_256", release, signature, ...).status == TODO


def test_sign_wrong_answers(env):
    box, kms, keys, release = env
    digest = hashlib.sha256(release.read_bytes()).digest()
    good_sig = sign(kms, keys["ecc"], digest, "ECDSA_SHA_256")
    good = good_verifier(kms, keys["ecc"], "ECDSA_SHA_256")

    def via_kms(path, signature):
        return kms.verify(KeyId=keys["ecc"], Message=hashlib.sha256(path.read_bytes()).digest(),
                          MessageType="DIGEST", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]

    cases = [
        (keys["rsa"], "RSAES_OAEP_SHA_256", good_sig, good, "key usage", "SIGN_VERIFY"),
        (keys["ecc"], "ECDSA_SHA_384", good_sig, good, "algorithm", "SHA-256"),
        (keys["ecc"], "RSASSA_PSS_SHA_256", good_sig, good, "algorithm", "does not sign with"),
        (keys["ecc"], "ECDSA_SHA_256", sign(kms, keys["ecc"], digest, "ECDSA_SHA_256", "RAW"), good,
         "message type", "RAW"),
        (keys["ecc"], "ECDSA_SHA_256", sign(kms, keys["ecc"], hashlib.sha256(b"other").digest(), "ECDSA_SHA_256"),
         good, "signature", "does not verify"),
        (keys["ecc"], "ECDSA_SHA_256", good_sig, lambda p, s: True, "verify_offline", "tampered"),
        (keys["ecc"], "ECDSA_SHA_256", good_sig, lambda p, s: None, "verify_offline", "returned None"),
        (keys["ecc"], "ECDSA_SHA_256", good_sig, via_kms, "verify_offline", "called KMS Verify"),
        (keys["ecc"], "ECDSA_SHA_256", good_sig, "yes", "verify_offline", "function"),
        (keys["ecc"], "ECDSA_SHA_256", good_sig.hex(), good, "signature", "not bytes"),
    ]
    for key_id, algorithm, signature, verifier, part, words in cases:
        fb = check_release_signature(box, key_id, algorithm, release, signature, verifier)
        assert fb.status == WRONG and fb.part == part and words in fb.message, (part, fb.text)


def test_a_verifier_that_raises_on_tampering_counts_as_rejecting(env):
    box, kms, keys, release = env
    pub = public(kms, keys["ecc"])

    def strict(path, signature):  # raises InvalidSignature instead of returning False
        pub.verify(signature, hashlib.sha256(path.read_bytes()).digest(), ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        return True

    signature = sign(kms, keys["ecc"], hashlib.sha256(release.read_bytes()).digest(), "ECDSA_SHA_256")
    assert check_release_signature(box, keys["ecc"], "ECDSA_SHA_256", release, signature, strict).status == OK


# --- more wrong answers, found by working through the starter ---

def test_encrypt_more_wrong_answers(env):
    import base64
    _, kms, keys, _ = env
    pub = public(kms, keys["rsa"])
    mixed = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA256(), label=None)
    cases = [
        (pub.encrypt(MESSAGE, OAEP256), "base64", "ciphertext", "base64 text"),
        (pub.encrypt(MESSAGE, mixed), None, "padding", "both the hash and MGF1"),
        (kms.encrypt(KeyId=keys["rsa"], Plaintext=MESSAGE, EncryptionAlgorithm="RSAES_OAEP_SHA_256"), None,
         "ciphertext", "dict"),
    ]
    for blob, form, part, words in cases:
        blob = base64.b64encode(blob) if form == "base64" else blob
        fb = check_public_key_encryption(kms, keys["rsa"], blob, MESSAGE)
        assert fb.status == WRONG and fb.part == part and words in fb.message, (part, fb.text)


def test_sign_more_wrong_answers(env):
    box, kms, keys, release = env
    digest = hashlib.sha256(release.read_bytes()).digest()
    sig = sign(kms, keys["ecc"], digest, "ECDSA_SHA_256")
    pub = public(kms, keys["ecc"])

    def hashes_twice(path, signature):        # ECDSA(SHA256()) without Prehashed hashes the digest again
        try:
            pub.verify(signature, hashlib.sha256(path.read_bytes()).digest(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True

    def raises(path, signature):              # the same mistake, not caught
        pub.verify(signature, hashlib.sha256(path.read_bytes()).digest(), ec.ECDSA(hashes.SHA256()))
        return True

    def swapped(signature, path):             # arguments in the wrong order
        return hashes_twice(path, signature)

    cases = [
        ("ECDSA_SHA_256", hashes_twice, "verify_offline", "returned False", "Prehashed"),
        ("ECDSA_SHA_256", raises, "verify_offline", "raised InvalidSignature", "Prehashed"),
        ("ECDSA_SHA_256", swapped, "verify_offline", "verify_offline(path, signature) raised", "Error"),
        ("ecdsa_sha_256", hashes_twice, "algorithm", "as KMS spells it", "'ECDSA_SHA_256'"),
    ]
    for algorithm, verifier, part, words, more in cases:
        fb = check_release_signature(box, keys["ecc"], algorithm, release, sig, verifier)
        assert fb.status == WRONG and fb.part == part and words in fb.message and more in fb.message, fb.text
        assert "Traceback" not in fb.text
