"""Rules AWS enforces that moto does not (issue 14, section 3), with AWS's messages, in-process
and over HTTP: tags, alias names, malformed key ids, one pending import at a time, the key
state before the key spec, and KeyUsage for keys that are not symmetric."""
from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from kms_helpers import error_code


def error(fn, **kwargs) -> tuple[str, str]:
    return error_code(fn, **kwargs)


def tag(key: str, value: str = "v") -> dict:
    return {"TagKey": key, "TagValue": value}


# -- tags (https://docs.aws.amazon.com/kms/latest/developerguide/tagging-keys.html) ------------

@pytest.mark.parametrize("key", ["aws:team", "AWS:team", "Aws:x"])
def test_aws_prefix_is_reserved(kms_raw, key):
    assert error(kms_raw.create_key, Tags=[tag(key)]) == ("TagException", "Tags beginning with aws: are reserved")
    arn = kms_raw.create_key()["KeyMetadata"]["Arn"]
    assert error(kms_raw.tag_resource, KeyId=arn, Tags=[tag(key)])[0] == "TagException"


def test_tag_keys_do_not_repeat(kms_raw):
    assert error(kms_raw.create_key, Tags=[tag("a", "1"), tag("a", "2")]) == ("TagException", "Duplicate tag keys")


def test_at_most_fifty_tags(kms_raw):
    assert kms_raw.create_key(Tags=[tag(f"t{i}") for i in range(50)])["KeyMetadata"]
    assert error(kms_raw.create_key, Tags=[tag(f"t{i}") for i in range(51)]) == ("TagException", "Too many tags")
    arn = kms_raw.create_key(Tags=[tag(f"t{i}") for i in range(49)])["KeyMetadata"]["Arn"]
    kms_raw.tag_resource(KeyId=arn, Tags=[tag("t0", "changed"), tag("t49")])  # 50 in all: fine
    assert error(kms_raw.tag_resource, KeyId=arn, Tags=[tag("t50")]) == ("TagException", "Too many tags")


def test_tag_lengths(kms_raw):
    assert kms_raw.create_key(Tags=[tag("k" * 128, "v" * 256), tag("empty", "")])["KeyMetadata"]
    code, message = error(kms_raw.create_key, Tags=[tag("k" * 129)])
    assert (code, message) == ("ValidationException", "1 validation error detected: Value '" + "k" * 129 +
                               "' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have "
                               "length less than or equal to 128")
    code, message = error(kms_raw.create_key, Tags=[tag("k", "v" * 257)])
    assert code == "ValidationException" and "'tags.1.member.tagValue'" in message and message.endswith(
        "less than or equal to 256")


# -- alias names (https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html) ---------

def test_alias_prefix_message(kms_raw):
    arn = kms_raw.create_key()["KeyMetadata"]["Arn"]
    expected = ("ValidationException", 'Alias must start with the prefix "alias/". Please see '
                "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
    assert error(kms_raw.create_alias, AliasName="orders", TargetKeyId=arn) == expected
    assert error(kms_raw.update_alias, AliasName="orders", TargetKeyId=arn) == expected
    assert error(kms_raw.delete_alias, AliasName="orders") == expected
    assert error(kms_raw.create_alias, AliasName="alias/", TargetKeyId=arn)[0] == "InvalidAliasNameException"


@pytest.mark.parametrize("ref", ["fake-key-id", "134f2428cec14b25a1ae9048164dba47", "mrk-fake-key-id"])
def test_a_malformed_key_id_is_invalid(kms_raw, ref):
    assert error(kms_raw.describe_key, KeyId=ref) == ("NotFoundException", f"Invalid keyId '{ref}'")


def test_a_well_formed_key_id_that_does_not_exist(sb, kms_raw):
    ref = "1234abcd-12ab-34cd-56ef-1234567890ab"
    assert error(kms_raw.describe_key, KeyId=ref) == (
        "NotFoundException", f"Key 'arn:aws:kms:{sb.region}:{sb.account_id}:key/{ref}' does not exist")


# -- imports (https://docs.aws.amazon.com/kms/latest/APIReference/API_ImportKeyMaterial.html) --

def _import(kms, key_id, material, **extra):
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    public = serialization.load_der_public_key(params["PublicKey"])
    wrapped = public.encrypt(material, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    return kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                                   ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", **extra)


def test_one_new_key_material_waits_at_a_time(kms_raw):
    key = kms_raw.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    _import(kms_raw, key, os.urandom(32))
    staged, other = os.urandom(32), os.urandom(32)
    pending = _import(kms_raw, key, staged, ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    code, message = error(_import, kms=kms_raw, key_id=key, material=other, ImportType="NEW_KEY_MATERIAL")
    assert code == "KMSInvalidStateException"
    assert message.startswith("New key material (id: ") and message.endswith(
        f") cannot be imported into KMS key {key}, because another key material (id: {pending}) is "
        "pending rotation.")
    # the same material again is fine, and after the rotation a new one may wait
    assert _import(kms_raw, key, staged, ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"] == pending
    kms_raw.rotate_key_on_demand(KeyId=key)
    assert _import(kms_raw, key, other, ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]


# -- the key state before the key spec ---------------------------------------------------------

def test_rotate_on_demand_checks_the_state_first(kms_raw):
    rsa = kms_raw.create_key(KeySpec="RSA_4096", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
    assert error(kms_raw.rotate_key_on_demand, KeyId=rsa) == ("UnsupportedOperationException", "")
    kms_raw.disable_key(KeyId=rsa)
    assert error(kms_raw.rotate_key_on_demand, KeyId=rsa) == ("DisabledException", f"{rsa} is disabled.")
    kms_raw.schedule_key_deletion(KeyId=rsa, PendingWindowInDays=7)
    assert error(kms_raw.rotate_key_on_demand, KeyId=rsa) == ("KMSInvalidStateException",
                                                              f"{rsa} is pending deletion.")
    external = kms_raw.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    assert error(kms_raw.rotate_key_on_demand, KeyId=external) == ("KMSInvalidStateException",
                                                                   f"{external} is pending import.")


def test_rotation_messages_are_awss(kms_raw):
    external = kms_raw.create_key(Origin="EXTERNAL")["KeyMetadata"]
    _import(kms_raw, external["KeyId"], os.urandom(32))
    assert error(kms_raw.rotate_key_on_demand, KeyId=external["KeyId"]) == (
        "KMSInvalidStateException", f"No available key material pending rotation for the key: {external['Arn']}.")


def test_key_usage_is_required_for_other_keys(kms_raw):
    for spec in ("HMAC_256", "RSA_2048", "ECC_NIST_P256"):
        assert error(kms_raw.create_key, KeySpec=spec) == (
            "ValidationException",
            "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")
    assert kms_raw.create_key(KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]["KeyUsage"] == "ENCRYPT_DECRYPT"


def test_a_replica_is_creating_until_the_clock_moves_on(sb, kms):
    from kmslab.service.multi_region import REPLICA_CREATION_SECONDS

    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="eu-north-1")
    west = sb.client("kms", region="eu-north-1")
    blob = kms.encrypt(KeyId=primary["Arn"], Plaintext=b"x")["CiphertextBlob"]
    replica = primary["Arn"].replace(sb.region, "eu-north-1")
    assert error(west.decrypt, CiphertextBlob=blob) == ("KMSInvalidStateException", f"{replica} is creating.")
    assert error(west.disable_key, KeyId=replica)[0] == "KMSInvalidStateException"
    sb.clock.advance(REPLICA_CREATION_SECONDS)
    assert west.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
