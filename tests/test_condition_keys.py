"""The request context holds exactly the KMS condition keys AWS lists for each operation (issue 14).

Sources: the KMS actions table of the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html)
and https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html. How policies use the keys
is tested by the vectors in tests/data/authz_vectors.json.
"""
from __future__ import annotations

import json

import pytest

from kmslab.service import authorization, condition_keys, dispatch
from kmslab.service.policy import conditions
from kmslab.teach import access

#: The key's own properties, on every operation on a key.
ON_A_KEY = {"kms:CallerAccount", "kms:KeySpec", "kms:KeyUsage", "kms:KeyOrigin", "kms:MultiRegion",
            "kms:ResourceAliases", "kms:CustomerMasterKeySpec", "kms:CustomerMasterKeyUsage"}
KEYS = {"symmetric": {}, "sign": {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
        "hmac": {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
        "agreement": {"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"},
        "external": {"Origin": "EXTERNAL"}, "multi-Region": {"MultiRegion": True}}

# (operation, key, request parameters besides KeyId, KMS keys besides ON_A_KEY)
CASES = [
    ("Encrypt", "symmetric", {"Plaintext": b"x"}, {"kms:EncryptionAlgorithm"}),
    ("Encrypt", "alias", {"Plaintext": b"x", "EncryptionContext": {"Dept": "IT"}},
     {"kms:EncryptionAlgorithm", "kms:RequestAlias", "kms:EncryptionContext:Dept", "kms:EncryptionContextKeys"}),
    ("GenerateDataKeyPair", "symmetric", {"KeyPairSpec": "RSA_2048"},
     {"kms:EncryptionAlgorithm", "kms:DataKeyPairSpec"}),
    ("DescribeKey", "alias", {}, {"kms:RequestAlias"}),
    ("DescribeKey", "symmetric", {}, set()),
    ("DisableKey", "symmetric", {}, set()),
    ("ScheduleKeyDeletion", "symmetric", {}, {"kms:ScheduleKeyDeletionPendingWindowInDays"}),
    ("EnableKeyRotation", "symmetric", {}, {"kms:RotationPeriodInDays"}),
    ("PutKeyPolicy", "symmetric", {"Policy": "{}"}, {"kms:BypassPolicyLockoutSafetyCheck"}),
    ("CreateGrant", "symmetric", {"GranteePrincipal": "arn:aws:iam::111122223333:root", "Operations": ["Decrypt"]},
     {"kms:GrantOperations", "kms:GranteePrincipal", "kms:GrantIsForAWSResource"}),
    ("ListGrants", "symmetric", {}, {"kms:GrantIsForAWSResource"}),
    ("Sign", "sign", {"Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256"},
     {"kms:SigningAlgorithm", "kms:MessageType"}),
    ("GenerateMac", "hmac", {"Message": b"m", "MacAlgorithm": "HMAC_SHA_256"}, {"kms:MacAlgorithm"}),
    ("DeriveSharedSecret", "agreement", {"KeyAgreementAlgorithm": "ECDH", "PublicKey": b"k"},
     {"kms:KeyAgreementAlgorithm"}),
    ("GetParametersForImport", "external", {"WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"},
     {"kms:WrappingAlgorithm", "kms:WrappingKeySpec"}),
    ("ImportKeyMaterial", "external", {"ImportToken": b"t", "EncryptedKeyMaterial": b"m",
                                       "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}, {"kms:ExpirationModel"}),
    ("ImportKeyMaterial", "external", {"ImportToken": b"t", "EncryptedKeyMaterial": b"m", "ValidTo": 4102444800},
     {"kms:ValidTo"}),   # no ExpirationModel in the request: the key is missing
    ("ReplicateKey", "multi-Region", {"ReplicaRegion": "eu-west-1"}, {"kms:ReplicaRegion", "kms:MultiRegionKeyType"}),
]

# Operations without a key: (operation, request parameters, their KMS keys).
NO_KEY_CASES = [
    ("CreateKey", {}, {"kms:CallerAccount", "kms:KeySpec", "kms:KeyUsage", "kms:KeyOrigin", "kms:MultiRegion",
                       "kms:CustomerMasterKeySpec", "kms:CustomerMasterKeyUsage", "kms:BypassPolicyLockoutSafetyCheck"}),
    ("ListKeys", {}, set()),
    ("ListAliases", {}, set()),
    ("GenerateRandom", {"NumberOfBytes": 8}, set()),
    ("DescribeCustomKeyStores", {}, {"kms:CallerAccount"}),
]


def _decisions(client, operation, via_service=None, **params):
    """The authorizations `operation` needs, each with the context the AUTHORIZE stage builds."""
    creds = client._request_signer._credentials.get_frozen_credentials()
    call = dispatch.KmsCall(operation=operation, params=access._jsonable(params), account_id="",
                            region=client.meta.region_name, access_key=creds.access_key, via_service=via_service)
    return authorization.explain(call)


def _contexts(client, operation, via_service=None, **params):
    """The KMS condition keys of each authorization `operation` needs."""
    return [{k for k, _ in d.context.items() if k.startswith("kms:")}
            for d in _decisions(client, operation, via_service, **params)]


def _lower(names):
    return {n.lower() if not n.lower().startswith("kms:encryptioncontext:") else
            "kms:encryptioncontext:" + n.split(":", 2)[2] for n in names}


@pytest.fixture(scope="module")
def made(sb):
    kms = sb.client("kms")
    arns = {kind: kms.create_key(**params)["KeyMetadata"]["Arn"] for kind, params in KEYS.items()}
    kms.create_alias(AliasName="alias/condition-keys", TargetKeyId=arns["symmetric"])
    arns["alias"] = "alias/condition-keys"
    return kms, arns


@pytest.mark.parametrize("operation, key, params, expected", CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_an_operation_on_a_key_carries_the_keys_aws_lists(made, operation, key, params, expected):
    kms, arns = made
    assert _contexts(kms, operation, KeyId=arns[key], **params) == [_lower(ON_A_KEY | expected)]


@pytest.mark.parametrize("operation, params, expected", NO_KEY_CASES, ids=[c[0] for c in NO_KEY_CASES])
def test_an_operation_without_a_key_carries_only_its_own_keys(made, operation, params, expected):
    kms, _ = made
    assert _contexts(kms, operation, **params) == [_lower(expected)]


def test_reencrypt_compares_its_two_keys(made):
    kms, arns = made
    blob = kms.encrypt(KeyId=arns["symmetric"], Plaintext=b"x")["CiphertextBlob"]
    expected = _lower(ON_A_KEY | {"kms:EncryptionAlgorithm", "kms:ReEncryptOnSameKey", "kms:RequestAlias"})
    assert _contexts(kms, "ReEncrypt", CiphertextBlob=blob, DestinationKeyId=arns["alias"]) == [
        expected - {"kms:requestalias"}, expected]   # the ciphertext names the source key
    for destination, same in (("alias", True), ("symmetric", True), ("external", False)):
        decisions = _decisions(kms, "ReEncrypt", CiphertextBlob=blob, DestinationKeyId=arns[destination])
        assert [d.context.get("kms:ReEncryptOnSameKey") for d in decisions] == [same, same]


def test_via_service_only_on_key_operations_and_create_key(made):
    kms, arns = made
    via = "s3.us-east-1.amazonaws.com"
    assert "kms:viaservice" in _contexts(kms, "DescribeKey", via, KeyId=arns["symmetric"])[0]
    assert "kms:viaservice" in _contexts(kms, "CreateKey", via)[0]
    assert "kms:viaservice" not in _contexts(kms, "ListKeys", via)[0]


def test_key_policies_never_see_iam_only_keys(made):
    kms, arns = made
    context = _decisions(kms, "DescribeKey", KeyId=arns["symmetric"])[0].context
    assert context.get("kms:ResourceAliases") == ["alias/condition-keys"]
    missing = conditions.evaluate({"Null": {"kms:ResourceAliases": "true"}},
                                  context.hiding(condition_keys.IAM_POLICY_ONLY))
    assert missing[0].holds


def test_create_key_lockout_check_sees_a_new_multi_region_key_as_primary(made):
    """CreateKey's policy check judges the key-to-be, and CreateKey makes primary keys only."""
    kms, arns = made
    account = arns["symmetric"].split(":")[4]
    doc = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*",
        "Resource": "*", "Condition": {"StringEquals": {"kms:MultiRegionKeyType": "PRIMARY"}}}]}
    meta = kms.create_key(MultiRegion=True, Policy=json.dumps(doc))["KeyMetadata"]
    assert meta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
