"""Response shapes (issue 14, section 2): CreateKey, DescribeKey and ListKeys return exactly the
fields AWS documents for each key spec and usage, in-process and over HTTP.

The shapes follow the KeyMetadata reference and the AWS API reference examples (botocore's
examples-1.json carries them): https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html
https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html#API_CreateKey_Examples
https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html#API_DescribeKey_Examples
"""
from __future__ import annotations

import pytest

from kmslab.service.multi_region import REPLICA_CREATION_SECONDS

COMMON = {"AWSAccountId", "Arn", "CreationDate", "CustomerMasterKeySpec", "Description", "Enabled",
          "KeyId", "KeyManager", "KeySpec", "KeyState", "KeyUsage", "MultiRegion", "Origin"}
RSA_SIGNING = ["RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
               "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"]
RSA_ENCRYPTION = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]

# (CreateKey parameters, the fields beyond COMMON with their documented values; None = present)
CASES = [
    ({}, {"EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "CurrentKeyMaterialId": None}),
    *[({"KeySpec": spec, "KeyUsage": "ENCRYPT_DECRYPT"}, {"EncryptionAlgorithms": RSA_ENCRYPTION})
      for spec in ("RSA_2048", "RSA_3072", "RSA_4096")],
    *[({"KeySpec": spec, "KeyUsage": "SIGN_VERIFY"}, {"SigningAlgorithms": RSA_SIGNING})
      for spec in ("RSA_2048", "RSA_3072", "RSA_4096")],
    *[({"KeySpec": spec, "KeyUsage": "SIGN_VERIFY"}, {"SigningAlgorithms": [algorithm]})
      for spec, algorithm in (("ECC_NIST_P256", "ECDSA_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_384"),
                              ("ECC_NIST_P521", "ECDSA_SHA_512"), ("ECC_SECG_P256K1", "ECDSA_SHA_256"))],
    *[({"KeySpec": spec, "KeyUsage": "KEY_AGREEMENT"}, {"KeyAgreementAlgorithms": ["ECDH"]})
      for spec in ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521")],
    *[({"KeySpec": f"HMAC_{bits}", "KeyUsage": "GENERATE_VERIFY_MAC"}, {"MacAlgorithms": [f"HMAC_SHA_{bits}"]})
      for bits in (224, 256, 384, 512)],
    ({"Origin": "EXTERNAL"}, {"EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"]}),
    ({"MultiRegion": True}, {"EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "CurrentKeyMaterialId": None,
                             "MultiRegionConfiguration": None}),
]
IDS = ["-".join(str(v) for v in params.values()) or "SYMMETRIC_DEFAULT" for params, _ in CASES]


def check_shape(meta: dict, params: dict, extra: dict) -> None:
    assert set(meta) == COMMON | set(extra), sorted(set(meta) ^ (COMMON | set(extra)))
    for name, value in extra.items():
        if value is not None:
            assert meta[name] == value, name
    assert meta["KeySpec"] == meta["CustomerMasterKeySpec"] == params.get("KeySpec", "SYMMETRIC_DEFAULT")
    assert meta["KeyUsage"] == params.get("KeyUsage", "ENCRYPT_DECRYPT")
    assert meta["MultiRegion"] is bool(params.get("MultiRegion"))
    assert meta["KeyManager"] == "CUSTOMER" and meta["Description"] == ""
    external = params.get("Origin") == "EXTERNAL"
    assert (meta["KeyState"], meta["Enabled"]) == (("PendingImport", False) if external else ("Enabled", True))


@pytest.mark.parametrize("params, extra", CASES, ids=IDS)
def test_create_describe_and_list_show_the_documented_shape(kms_raw, params, extra):
    created = kms_raw.create_key(**params)["KeyMetadata"]
    check_shape(created, params, extra)
    described = kms_raw.describe_key(KeyId=created["KeyId"])["KeyMetadata"]
    assert described == created
    listed = [k for k in kms_raw.list_keys(Limit=1000)["Keys"] if k["KeyId"] == created["KeyId"]]
    assert listed == [{"KeyId": created["KeyId"], "KeyArn": created["Arn"]}]
    if params.get("MultiRegion"):
        assert created["MultiRegionConfiguration"] == {
            "MultiRegionKeyType": "PRIMARY", "ReplicaKeys": [],
            "PrimaryKey": {"Arn": created["Arn"], "Region": created["Arn"].split(":")[3]}}


def test_list_keys_answer_has_only_keys_and_truncated(kms_raw):
    answer = kms_raw.list_keys()
    assert set(answer) - {"ResponseMetadata"} == {"Keys", "Truncated"}


def test_a_new_replica_is_creating_then_enabled(sb, kms):
    """ReplicateKey: Creating, Enabled false, an empty Description and no CurrentKeyMaterialId, as AWS
    returns it; Enabled (with its material id) once the sandbox clock has moved on."""
    primary = kms.create_key(MultiRegion=True, Description="primary")["KeyMetadata"]
    answer = kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="ap-southeast-1")
    replica = answer["ReplicaKeyMetadata"]
    assert (replica["KeyState"], replica["Enabled"], replica["Description"]) == ("Creating", False, "")
    assert "CurrentKeyMaterialId" not in replica
    assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert set(answer) - {"ResponseMetadata"} == {"ReplicaKeyMetadata", "ReplicaPolicy", "ReplicaTags"}
    west = sb.client("kms", region="ap-southeast-1")
    assert west.describe_key(KeyId=replica["Arn"])["KeyMetadata"]["KeyState"] == "Creating"
    sb.clock.advance(REPLICA_CREATION_SECONDS)
    now = west.describe_key(KeyId=replica["Arn"])["KeyMetadata"]
    assert (now["KeyState"], now["Enabled"], now["Description"]) == ("Enabled", True, "")
    assert now["CurrentKeyMaterialId"] == kms.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
