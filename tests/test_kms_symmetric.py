"""Symmetric ciphertext: AES-256-GCM with the encryption context bound as AAD (sources: symmetric-default, encryption-context, encrypt-plaintext-limits)."""
import pytest

from kms_helpers import error_code


@pytest.fixture(scope="module")
def key(kms):
    return kms.create_key()["KeyMetadata"]


def test_round_trip_and_response_fields(kms, key):
    enc = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret", EncryptionContext={"dept": "a"})
    assert enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT" and enc["KeyId"] == key["Arn"]
    assert key["KeyId"].encode() in enc["CiphertextBlob"]  # the blob names its key (sources: decrypt-key-and-algorithm)
    dec = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext={"dept": "a"})
    assert dec["Plaintext"] == b"secret" and dec["KeyMaterialId"] == key["CurrentKeyMaterialId"]


def test_context_is_canonically_encoded(kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"ab": "c"})["CiphertextBlob"]
    assert error_code(kms.decrypt, CiphertextBlob=blob, EncryptionContext={"a": "bc"}) == \
        ("InvalidCiphertextException", "")
    assert error_code(kms.decrypt, CiphertextBlob=blob)[0] == "InvalidCiphertextException"


def test_tampered_blob(kms, key):
    blob = bytearray(kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"])
    blob[-1] ^= 1
    assert error_code(kms.decrypt, CiphertextBlob=bytes(blob))[0] == "InvalidCiphertextException"


def test_plaintext_limit_4096(kms, key):
    assert kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 4096)["CiphertextBlob"]
    code, message = error_code(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x" * 4097)
    assert code == "ValidationException" and "4096" in message


def test_generate_data_key_and_re_encrypt(kms, key):
    other = kms.create_key()["KeyMetadata"]
    dk = kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=64, EncryptionContext={"k": "v"})
    assert len(dk["Plaintext"]) == 64
    without = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_128")
    assert "Plaintext" not in without and len(kms.decrypt(CiphertextBlob=without["CiphertextBlob"])["Plaintext"]) == 16
    moved = kms.re_encrypt(CiphertextBlob=dk["CiphertextBlob"], SourceEncryptionContext={"k": "v"},
                           DestinationKeyId=other["Arn"])
    assert moved["SourceKeyId"] == key["Arn"] and moved["KeyId"] == other["Arn"]
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]


def test_create_key_is_fast(kms):
    import time
    start = time.perf_counter()
    for _ in range(10):
        kms.create_key()
    assert (time.perf_counter() - start) / 10 < 0.03  # moto alone: ~41 ms (RSA-2048 per key)


def test_generate_random_needs_a_size():
    from botocore.exceptions import ClientError

    from kmslab import sandbox

    with sandbox.start() as box:
        kms = box.client("kms")
        assert len(kms.generate_random(NumberOfBytes=16)["Plaintext"]) == 16
        try:
            kms.generate_random()
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ValidationException"
        else:
            raise AssertionError("GenerateRandom without NumberOfBytes must fail")
