"""Key usage and key spec rules (sources: key-usage, rsa-algorithms, hmac-keys, data-key-pairs, decrypt-key-and-algorithm)."""
import pytest

from kms_helpers import error_code


@pytest.fixture(scope="module")
def keys(kms):
    make = lambda **kw: kms.create_key(**kw)["KeyMetadata"]  # noqa: E731
    return {"sym": make(), "sym2": make(),
            "sign": make(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY"),
            "rsa": make(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT"),
            "hmac": make(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")}


def test_decrypt_with_wrong_key_id(kms, keys):
    blob = kms.encrypt(KeyId=keys["sym"]["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert error_code(kms.decrypt, CiphertextBlob=blob, KeyId=keys["sym2"]["KeyId"])[0] == \
        "IncorrectKeyException"


def test_rsa_algorithm_on_symmetric_key(kms, keys):
    code, message = error_code(kms.encrypt, KeyId=keys["sym"]["KeyId"], Plaintext=b"x",
                               EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code == "InvalidKeyUsageException" and "SYMMETRIC_DEFAULT" in message


def test_encrypt_on_sign_verify_key(kms, keys):
    code, message = error_code(kms.encrypt, KeyId=keys["sign"]["KeyId"], Plaintext=b"x")
    assert code == "InvalidKeyUsageException" and "SIGN_VERIFY" in message


def test_generate_data_key_on_asymmetric_key(kms, keys):
    assert error_code(kms.generate_data_key, KeyId=keys["rsa"]["KeyId"], KeySpec="AES_256")[0] == \
        "InvalidKeyUsageException"


def test_mac_algorithm_must_match_hmac_spec(kms, keys):
    assert error_code(kms.generate_mac, KeyId=keys["hmac"]["KeyId"], Message=b"m",
                      MacAlgorithm="HMAC_SHA_512")[0] == "InvalidKeyUsageException"
    assert kms.generate_mac(KeyId=keys["hmac"]["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]


def test_sign_on_encrypt_decrypt_key(kms, keys):
    assert error_code(kms.sign, KeyId=keys["sym"]["KeyId"], Message=b"m",
                      SigningAlgorithm="ECDSA_SHA_256")[0] == "InvalidKeyUsageException"


def test_hmac_metadata(keys):
    assert keys["hmac"]["MacAlgorithms"] == ["HMAC_SHA_256"]
    assert "EncryptionAlgorithms" not in keys["hmac"]


@pytest.mark.parametrize("spec,usage", [("RSA_2048", "GENERATE_VERIFY_MAC"), ("HMAC_256", "ENCRYPT_DECRYPT"),
                                        ("ECC_NIST_P256", "ENCRYPT_DECRYPT"),
                                        ("SYMMETRIC_DEFAULT", "SIGN_VERIFY")])
def test_invalid_spec_usage_pairs_at_create(kms, spec, usage):
    assert error_code(kms.create_key, KeySpec=spec, KeyUsage=usage)[0] == "ValidationException"
