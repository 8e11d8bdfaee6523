"""Key specs moto lacks: Ed25519 and ML-DSA signing keys, ML-KEM keys, and the specs the
sandbox refuses as a Region that does not offer them (ML_KEM_512, SM2).

Signatures are verified offline with `cryptography` and the public key from GetPublicKey.
"""
from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import mldsa

from kms_helpers import error_code

ML_DSA = ("ML_DSA_44", "ML_DSA_65", "ML_DSA_87")
SIGNATURE_BYTES = {"ML_DSA_44": 2420, "ML_DSA_65": 3309, "ML_DSA_87": 4627}  # FIPS 204 table 2


def _key(kms, spec, usage="SIGN_VERIFY"):
    return kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]


def _public(kms, key_id):
    return serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])


def test_ed25519_signs_raw_messages_that_verify_offline(kms):
    meta = _key(kms, "ECC_NIST_EDWARDS25519")
    assert meta["SigningAlgorithms"] == ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
    assert "EncryptionAlgorithms" not in meta
    key = meta["Arn"]
    signature = kms.sign(KeyId=key, Message=b"ship it", SigningAlgorithm="ED25519_SHA_512")["Signature"]
    assert len(signature) == 64  # RFC 8032
    _public(kms, key).verify(signature, b"ship it")  # raises if invalid
    assert kms.verify(KeyId=key, Message=b"ship it", Signature=signature,
                      SigningAlgorithm="ED25519_SHA_512")["SignatureValid"] is True
    assert error_code(kms.verify, KeyId=key, Message=b"ship it!", Signature=signature,
                      SigningAlgorithm="ED25519_SHA_512")[0] == "KMSInvalidSignatureException"


def test_ed25519_message_types_are_not_interchangeable(kms):
    key = _key(kms, "ECC_NIST_EDWARDS25519")["Arn"]
    digest = hashlib.sha512(b"m").digest()
    code, message = error_code(kms.sign, KeyId=key, Message=digest, MessageType="DIGEST",
                               SigningAlgorithm="ED25519_SHA_512")
    assert code == "ValidationException" and "RAW" in message
    code, _ = error_code(kms.sign, KeyId=key, Message=b"m", SigningAlgorithm="ED25519_PH_SHA_512")
    assert code == "ValidationException"


def test_ed25519ph_is_refused_because_cryptography_lacks_it(kms):
    key = _key(kms, "ECC_NIST_EDWARDS25519")["Arn"]
    code, message = error_code(kms.sign, KeyId=key, Message=hashlib.sha512(b"m").digest(),
                               MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512")
    assert code == "UnsupportedOperationException" and "Ed25519ph" in message


@pytest.mark.parametrize("spec", ML_DSA)
def test_ml_dsa_signs_raw_messages_that_verify_offline(kms, spec):
    meta = _key(kms, spec)
    assert meta["SigningAlgorithms"] == ["ML_DSA_SHAKE_256"]
    key = meta["Arn"]
    signature = kms.sign(KeyId=key, Message=b"post-quantum", SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    assert len(signature) == SIGNATURE_BYTES[spec]
    _public(kms, key).verify(signature, b"post-quantum")
    assert kms.verify(KeyId=key, Message=b"post-quantum", Signature=signature,
                      SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"] is True


def test_ml_dsa_external_mu_signs_a_large_message(kms):
    """mldsa.html: mu computed outside KMS gives a signature over the whole message."""
    key = _key(kms, "ML_DSA_65")["Arn"]
    public = _public(kms, key)
    message = b"x" * 10_000  # over the 4096-byte RAW limit
    hasher = mldsa.MLDSAMuHasher(public)
    hasher.update(message)
    mu = hasher.finalize()
    signature = kms.sign(KeyId=key, Message=mu, MessageType="EXTERNAL_MU",
                         SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    public.verify(signature, message)
    assert kms.verify(KeyId=key, Message=mu, MessageType="EXTERNAL_MU", Signature=signature,
                      SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"] is True
    assert error_code(kms.sign, KeyId=key, Message=mu[:32], MessageType="EXTERNAL_MU",
                      SigningAlgorithm="ML_DSA_SHAKE_256")[0] == "ValidationException"
    assert error_code(kms.sign, KeyId=key, Message=hashlib.sha256(b"m").digest(), MessageType="DIGEST",
                      SigningAlgorithm="ML_DSA_SHAKE_256")[0] == "ValidationException"


def test_external_mu_is_only_for_ml_dsa(kms):
    key = _key(kms, "ECC_NIST_P256")["Arn"]
    assert error_code(kms.sign, KeyId=key, Message=b"m" * 64, MessageType="EXTERNAL_MU",
                      SigningAlgorithm="ECDSA_SHA_256")[0] == "ValidationException"


def test_ml_dsa_keys_only_sign(kms):
    code, _ = error_code(kms.create_key, KeySpec="ML_DSA_44", KeyUsage="ENCRYPT_DECRYPT")
    assert code == "ValidationException"


@pytest.mark.parametrize("spec", ["ML_KEM_768", "ML_KEM_1024"])
def test_ml_kem_keys_describe_their_algorithm(kms, spec):
    meta = _key(kms, spec, "ENCAPSULATE_DECAPSULATE")
    assert meta["KeyUsage"] == "ENCAPSULATE_DECAPSULATE"
    assert meta["EncapsulationAlgorithms"] == ["ML_KEM"]
    assert "EncryptionAlgorithms" not in meta and "SigningAlgorithms" not in meta
    public = kms.get_public_key(KeyId=meta["KeyId"])
    assert public["EncapsulationAlgorithms"] == ["ML_KEM"]


@pytest.mark.parametrize("spec,usage", [("ML_KEM_512", "ENCAPSULATE_DECAPSULATE"),
                                        ("SM2", "SIGN_VERIFY")])
def test_specs_the_sandbox_cannot_make_are_refused_as_a_region_without_them(kms, spec, usage):
    code, message = error_code(kms.create_key, KeySpec=spec, KeyUsage=usage)
    assert (code, message) == ("UnsupportedOperationException", f"KeySpec {spec} is not supported in this Region.")


def test_key_agreement_keys_list_ecdh_and_nothing_else(kms):
    meta = _key(kms, "ECC_NIST_P384", "KEY_AGREEMENT")
    assert meta["KeyAgreementAlgorithms"] == ["ECDH"]
    assert "SigningAlgorithms" not in meta and "EncryptionAlgorithms" not in meta
