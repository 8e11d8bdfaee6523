"""DeriveSharedSecret (ECDH) and Encapsulate/Decapsulate (ML-KEM), checked against secrets
derived offline with `cryptography` and the KMS key's public key."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kms_helpers import error_code

CURVES = {"ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1, "ECC_NIST_P521": ec.SECP521R1}


def _der(public) -> bytes:
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _agreement_key(kms, spec):
    return kms.create_key(KeySpec=spec, KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["Arn"]


@pytest.mark.parametrize("spec", sorted(CURVES))
def test_shared_secret_matches_the_one_derived_offline(kms, spec):
    key = _agreement_key(kms, spec)
    bob = ec.generate_private_key(CURVES[spec]())
    answer = kms.derive_shared_secret(KeyId=key, KeyAgreementAlgorithm="ECDH", PublicKey=_der(bob.public_key()))
    alice_public = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    assert answer["SharedSecret"] == bob.exchange(ec.ECDH(), alice_public)
    assert answer["KeyAgreementAlgorithm"] == "ECDH" and answer["KeyOrigin"] == "AWS_KMS"
    assert answer["KeyId"] == key


def test_two_kms_keys_agree_on_one_secret(kms):
    alice, bob = _agreement_key(kms, "ECC_NIST_P256"), _agreement_key(kms, "ECC_NIST_P256")
    alice_public = kms.get_public_key(KeyId=alice)["PublicKey"]
    bob_public = kms.get_public_key(KeyId=bob)["PublicKey"]
    a = kms.derive_shared_secret(KeyId=alice, KeyAgreementAlgorithm="ECDH", PublicKey=bob_public)
    b = kms.derive_shared_secret(KeyId=bob, KeyAgreementAlgorithm="ECDH", PublicKey=alice_public)
    assert a["SharedSecret"] == b["SharedSecret"]


def test_a_public_key_on_another_curve_is_refused(kms):
    key = _agreement_key(kms, "ECC_NIST_P256")
    other = ec.generate_private_key(ec.SECP384R1()).public_key()
    assert error_code(kms.derive_shared_secret, KeyId=key, KeyAgreementAlgorithm="ECDH",
                      PublicKey=_der(other))[0] == "ValidationException"
    assert error_code(kms.derive_shared_secret, KeyId=key, KeyAgreementAlgorithm="ECDH",
                      PublicKey=b"not a key")[0] == "ValidationException"


def test_only_key_agreement_keys_derive(kms):
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    peer = _der(ec.generate_private_key(ec.SECP256R1()).public_key())
    assert error_code(kms.derive_shared_secret, KeyId=signing, KeyAgreementAlgorithm="ECDH",
                      PublicKey=peer)[0] == "InvalidKeyUsageException"


def test_a_disabled_key_agreement_key_cannot_derive(kms):
    key = _agreement_key(kms, "ECC_NIST_P256")
    kms.disable_key(KeyId=key)
    peer = _der(ec.generate_private_key(ec.SECP256R1()).public_key())
    assert error_code(kms.derive_shared_secret, KeyId=key, KeyAgreementAlgorithm="ECDH",
                      PublicKey=peer)[0] == "DisabledException"


@pytest.mark.parametrize("spec,size", [("ML_KEM_768", 1088), ("ML_KEM_1024", 1568)])
def test_ml_kem_round_trip_and_offline_encapsulation(kms, spec, size):
    key = kms.create_key(KeySpec=spec, KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]["Arn"]
    sealed = kms.encapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM")
    assert len(sealed["SharedSecret"]) == 32 and len(sealed["SharedSecretCiphertextBlob"]) == size
    opened = kms.decapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM",
                             SharedSecretCiphertextBlob=sealed["SharedSecretCiphertextBlob"])
    assert opened["SharedSecret"] == sealed["SharedSecret"]
    # a peer encapsulates offline with the downloaded public key
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    secret, ciphertext = public.encapsulate()
    assert kms.decapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM",
                           SharedSecretCiphertextBlob=ciphertext)["SharedSecret"] == secret


def test_decapsulate_rejects_only_the_wrong_length(kms):
    key = kms.create_key(KeySpec="ML_KEM_768", KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]["Arn"]
    assert error_code(kms.decapsulate, KeyId=key, EncapsulationAlgorithm="ML_KEM",
                      SharedSecretCiphertextBlob=b"\x01" * 100)[0] == "InvalidCiphertextException"
    # implicit rejection: a well-sized but wrong ciphertext yields 32 unrelated bytes
    sealed = kms.encapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM")
    tampered = bytes([sealed["SharedSecretCiphertextBlob"][0] ^ 1]) + sealed["SharedSecretCiphertextBlob"][1:]
    other = kms.decapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM", SharedSecretCiphertextBlob=tampered)
    assert len(other["SharedSecret"]) == 32 and other["SharedSecret"] != sealed["SharedSecret"]


def test_encapsulate_needs_an_ml_kem_key(kms):
    symmetric = kms.create_key()["KeyMetadata"]["Arn"]
    assert error_code(kms.encapsulate, KeyId=symmetric,
                      EncapsulationAlgorithm="ML_KEM")[0] == "InvalidKeyUsageException"


@pytest.fixture(scope="module")
def p256_agreement_key(kms):
    return _agreement_key(kms, "ECC_NIST_P256")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(min_size=1, max_size=200))
def test_any_peer_public_key_bytes_get_an_aws_error_not_a_crash(kms, p256_agreement_key, garbage):
    assert error_code(kms.derive_shared_secret, KeyId=p256_agreement_key, KeyAgreementAlgorithm="ECDH",
                      PublicKey=garbage)[0] == "ValidationException"


def test_recipient_is_refused_not_ignored(kms):
    """Without an enclave the sandbox cannot honour Recipient; it must not return plaintext instead."""
    key = kms.create_key()["KeyMetadata"]["Arn"]
    recipient = {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "AttestationDocument": b"\x00" * 16}
    assert error_code(kms.generate_data_key, KeyId=key, KeySpec="AES_256",
                      Recipient=recipient)[0] == "UnsupportedOperationException"
    assert error_code(kms.generate_random, NumberOfBytes=8,
                      Recipient=recipient)[0] == "UnsupportedOperationException"


def test_ml_kem_data_key_pairs(kms):
    """API_GenerateDataKeyPair: ML-KEM pairs, the private key as PKCS #8 in seed form."""
    from cryptography.hazmat.primitives.asymmetric import mlkem

    key = kms.create_key()["KeyMetadata"]["Arn"]
    pair = kms.generate_data_key_pair(KeyId=key, KeyPairSpec="ML_KEM_768")
    private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
    assert isinstance(private, mlkem.MLKEM768PrivateKey)
    assert _der(private.public_key()) == pair["PublicKey"]
    assert kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"] == pair["PrivateKeyPlaintext"]
    assert error_code(kms.generate_data_key_pair, KeyId=key,
                      KeyPairSpec="ML_KEM_512")[0] == "UnsupportedOperationException"
