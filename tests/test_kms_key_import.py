"""Imported key material, BYOK (botocore KMS model; sources: imported-key-material), into symmetric, HMAC,
RSA and ECC keys (https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-conceptual.html)."""
import datetime as dt
import os

import pytest
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from kms_helpers import error_code

HASHES = {"SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256}


def wrap(params, algorithm, material):
    public = serialization.load_der_public_key(params["PublicKey"])
    digest = HASHES[algorithm.rsplit("_", 2)[-2] + "_" + algorithm.rsplit("_", 1)[-1]]()
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public.encrypt(material, oaep)
    aes = os.urandom(32)
    return public.encrypt(aes, oaep) + aes_key_wrap_with_padding(aes, material)


def import_into(kms, key_id, material, algorithm="RSAES_OAEP_SHA_256", wrapping_key="RSA_2048", **kwargs):
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm,
                                           WrappingKeySpec=wrapping_key)
    kwargs.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"],
                                   EncryptedKeyMaterial=wrap(params, algorithm, material), **kwargs)


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1",
                                       "RSA_AES_KEY_WRAP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1"])
def test_import_then_use(kms, sb, algorithm):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert key["KeyState"] == "PendingImport"
    params = kms.get_parameters_for_import(KeyId=key["Arn"], WrappingAlgorithm=algorithm,
                                           WrappingKeySpec="RSA_2048")
    assert serialization.load_der_public_key(params["PublicKey"]).key_size == 2048
    assert params["ParametersValidTo"].timestamp() == (
        sb.clock.now() + dt.timedelta(hours=24)).replace(tzinfo=dt.timezone.utc).timestamp()
    kms.import_key_material(KeyId=key["KeyId"], ImportToken=params["ImportToken"],
                            EncryptedKeyMaterial=wrap(params, algorithm, os.urandom(32)),
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"byok")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"byok"


def test_delete_and_reimport_rules(kms):
    material = os.urandom(32)
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    import_into(kms, key["KeyId"], material)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    kms.delete_imported_key_material(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    assert error_code(kms.decrypt, CiphertextBlob=blob)[0] == "KMSInvalidStateException"
    code, _ = error_code(import_into, kms, key["KeyId"], os.urandom(32))
    assert code == "IncorrectKeyMaterialException"
    import_into(kms, key["KeyId"], material)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_material_expires_on_the_sandbox_clock(kms, sb):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    valid_to = sb.clock.now() + dt.timedelta(days=2)
    import_into(kms, key["KeyId"], os.urandom(32), ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and "ValidTo" in meta
    sb.clock.advance(dt.timedelta(days=2))
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"


def test_new_key_material_then_rotate_on_demand(kms):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    first = import_into(kms, key["KeyId"], os.urandom(32))["KeyMaterialId"]
    old = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"old")["CiphertextBlob"]
    assert error_code(kms.rotate_key_on_demand, KeyId=key["KeyId"])[0] == "KMSInvalidStateException"
    second = import_into(kms, key["KeyId"], os.urandom(32), ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    assert second != first
    def states():
        listed = kms.list_key_rotations(KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")
        return [(r["KeyMaterialId"], r["KeyMaterialState"]) for r in listed["Rotations"]]
    assert states() == [(first, "CURRENT"), (second, "PENDING_ROTATION")]
    assert kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"] == []  # ROTATIONS_ONLY
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert states() == [(first, "NON_CURRENT"), (second, "CURRENT")]
    new = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"new")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=new)["KeyMaterialId"] == second
    assert kms.decrypt(CiphertextBlob=old)["KeyMaterialId"] == first
    assert error_code(kms.enable_key_rotation, KeyId=key["KeyId"])[0] == "UnsupportedOperationException"


def test_import_needs_external_origin(kms):
    key = kms.create_key()["KeyMetadata"]
    assert error_code(kms.get_parameters_for_import, KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                      WrappingKeySpec="RSA_2048")[0] == "UnsupportedOperationException"


def pkcs8(private) -> bytes:
    return private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


@pytest.mark.parametrize("spec,size", [("HMAC_224", 28), ("HMAC_256", 32), ("HMAC_384", 128), ("HMAC_512", 64)])
def test_hmac_key_with_imported_material_computes_the_offline_mac(kms, spec, size):
    key = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")["KeyMetadata"]
    assert key["KeyState"] == "PendingImport"
    assert error_code(kms.generate_mac, KeyId=key["KeyId"], Message=b"m",
                      MacAlgorithm=f"HMAC_SHA_{spec[5:]}")[0] == "KMSInvalidStateException"
    material = os.urandom(size)
    assert "KeyMaterialId" not in import_into(kms, key["KeyId"], material)
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm=f"HMAC_SHA_{spec[5:]}")["Mac"]
    offline = hmac.HMAC(material, getattr(hashes, f"SHA{spec[5:]}")())
    offline.update(b"m")
    assert mac == offline.finalize()


def test_hmac_material_length_follows_the_key_spec(kms):
    key = kms.create_key(KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")["KeyMetadata"]
    for size in (47, 129):  # 384..1024 bits
        assert error_code(import_into, kms, key["KeyId"], os.urandom(size))[0] == "IncorrectKeyMaterialException"


def test_hmac_material_is_bound_for_good_and_never_rotates(kms):
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")["KeyMetadata"]
    material = os.urandom(32)
    import_into(kms, key["KeyId"], material)
    kms.delete_imported_key_material(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    assert error_code(import_into, kms, key["KeyId"], os.urandom(32))[0] == "IncorrectKeyMaterialException"
    import_into(kms, key["KeyId"], material)  # the same material is welcome back
    assert error_code(import_into, kms, key["KeyId"], material,
                      ImportType="NEW_KEY_MATERIAL")[0] == "ValidationException"
    assert error_code(kms.rotate_key_on_demand, KeyId=key["KeyId"])[0] == "UnsupportedOperationException"
    assert error_code(kms.enable_key_rotation, KeyId=key["KeyId"])[0] == "UnsupportedOperationException"


def test_rsa_signing_key_with_imported_private_key(kms, sb):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY", Origin="EXTERNAL")["KeyMetadata"]
    assert error_code(kms.get_public_key, KeyId=key["KeyId"])[0] == "KMSInvalidStateException"
    # importing-keys-get-public-key-and-token.html: RSA private keys need an RSA_AES wrapping algorithm
    assert error_code(kms.get_parameters_for_import, KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                      WrappingKeySpec="RSA_4096")[0] == "UnsupportedOperationException"
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    import_into(kms, key["KeyId"], pkcs8(private), algorithm="RSA_AES_KEY_WRAP_SHA_256",
                ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=sb.clock.now() + dt.timedelta(days=30))
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["ExpirationModel"]) == ("Enabled", "KEY_MATERIAL_EXPIRES")
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert public.public_numbers() == private.public_key().public_numbers()  # KMS derived it
    signature = kms.sign(KeyId=key["KeyId"], Message=b"signed", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    private.public_key().verify(signature, b"signed", padding.PSS(padding.MGF1(hashes.SHA256()),
                                                                  padding.PSS.DIGEST_LENGTH), hashes.SHA256())
    sb.clock.advance(dt.timedelta(days=30))
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert error_code(import_into, kms, key["KeyId"], pkcs8(other),
                      algorithm="RSA_AES_KEY_WRAP_SHA_1")[0] == "IncorrectKeyMaterialException"
    import_into(kms, key["KeyId"], pkcs8(private), algorithm="RSA_AES_KEY_WRAP_SHA_1")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_rsa_material_must_match_the_key_size(kms):
    key = kms.create_key(KeySpec="RSA_3072", KeyUsage="ENCRYPT_DECRYPT", Origin="EXTERNAL")["KeyMetadata"]
    small = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert error_code(import_into, kms, key["KeyId"], pkcs8(small),
                      algorithm="RSA_AES_KEY_WRAP_SHA_256")[0] == "IncorrectKeyMaterialException"


def test_ecc_key_agreement_key_with_imported_private_key(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P521", KeyUsage="KEY_AGREEMENT", Origin="EXTERNAL")["KeyMetadata"]
    # importing-keys-encrypt-key-material.html: not ECC_NIST_P521 + RSA_2048 + RSAES_OAEP_SHA_*
    assert error_code(kms.get_parameters_for_import, KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_1",
                      WrappingKeySpec="RSA_2048")[0] == "UnsupportedOperationException"
    private = ec.generate_private_key(ec.SECP521R1())
    import_into(kms, key["KeyId"], pkcs8(private), wrapping_key="RSA_3072")
    peer = ec.generate_private_key(ec.SECP521R1())
    peer_der = peer.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    secret = kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer_der)
    assert secret["SharedSecret"] == private.exchange(ec.ECDH(), peer.public_key())
    assert secret["KeyOrigin"] == "EXTERNAL"


def test_ecc_material_must_be_on_the_key_curve(kms):
    key = kms.create_key(KeySpec="ECC_SECG_P256K1", KeyUsage="SIGN_VERIFY", Origin="EXTERNAL")["KeyMetadata"]
    wrong = ec.generate_private_key(ec.SECP256R1())
    assert error_code(import_into, kms, key["KeyId"], pkcs8(wrong))[0] == "IncorrectKeyMaterialException"
    right = ec.generate_private_key(ec.SECP256K1())
    import_into(kms, key["KeyId"], pkcs8(right))
    signature = kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    right.public_key().verify(signature, b"m", ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("spec", ["ML_DSA_44", "ECC_NIST_EDWARDS25519", "ML_KEM_768"])
def test_key_specs_without_import_refuse_origin_external(kms, spec):
    usage = "ENCAPSULATE_DECAPSULATE" if spec.startswith("ML_KEM") else "SIGN_VERIFY"
    assert error_code(kms.create_key, KeySpec=spec, KeyUsage=usage,
                      Origin="EXTERNAL")[0] == "UnsupportedOperationException"


@pytest.mark.parametrize("algorithm,spec", [("RSAES_PKCS1_V1_5", "RSA_2048"), ("SM2PKE", "SM2")])
def test_retired_and_china_only_wrapping_is_refused(kms, algorithm, spec):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert error_code(kms.get_parameters_for_import, KeyId=key["KeyId"], WrappingAlgorithm=algorithm,
                      WrappingKeySpec=spec)[0] == "UnsupportedOperationException"
