"""Imported key material, BYOK (botocore KMS model; sources: imported-key-material)."""
import datetime as dt
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
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


def import_into(kms, key_id, material, algorithm="RSAES_OAEP_SHA_256", **kwargs):
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm,
                                           WrappingKeySpec="RSA_2048")
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
