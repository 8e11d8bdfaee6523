"""Every KeyId form AWS accepts resolves to the key (sources: key-identifiers); moto raised KeyError on ARNs."""
import pytest

from kms_helpers import error_code


@pytest.fixture(scope="module")
def key(kms):
    meta = kms.create_key(Description="resolution")["KeyMetadata"]
    kms.create_alias(AliasName="alias/resolution", TargetKeyId=meta["KeyId"])
    return meta


def forms(key):
    alias_arn = key["Arn"].replace(f"key/{key['KeyId']}", "alias/resolution")
    return [key["KeyId"], key["Arn"], "alias/resolution", alias_arn]


def test_crypto_operations_accept_every_form(kms, key):
    for ref in forms(key):
        blob = kms.encrypt(KeyId=ref, Plaintext=b"x")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob, KeyId=ref)["KeyId"] == key["Arn"]
        assert kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == key["KeyId"]


@pytest.mark.parametrize("op", ["disable_key", "enable_key", "enable_key_rotation",
                                "get_key_rotation_status", "disable_key_rotation"])
def test_management_operations_accept_key_arn(kms, key, op):
    getattr(kms, op)(KeyId=key["Arn"])


def test_schedule_and_cancel_deletion_by_arn(kms):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    assert kms.schedule_key_deletion(KeyId=arn)["KeyId"] == arn
    assert kms.cancel_key_deletion(KeyId=arn)["KeyId"] == arn


def test_alias_refused_where_aws_wants_a_key_id(kms, key):
    code, message = error_code(kms.disable_key, KeyId="alias/resolution")
    assert code == "NotFoundException" and "alias/resolution" in message


def test_not_found_shapes(kms, sb):
    missing = "11111111-2222-3333-4444-555555555555"
    code, message = error_code(kms.encrypt, KeyId=missing, Plaintext=b"x")
    assert code == "NotFoundException"
    assert message == f"Key 'arn:aws:kms:us-east-1:{sb.account_id}:key/{missing}' does not exist"
    code, message = error_code(kms.encrypt, KeyId="alias/nope", Plaintext=b"x")
    assert (code, message) == ("NotFoundException",
                               f"Alias arn:aws:kms:us-east-1:{sb.account_id}:alias/nope is not found.")


def test_cross_account_use_by_key_arn(sb, kms):
    """A key ARN naming another account resolves to the owner's key (sources: key-identifiers, cross-account-access)."""
    import json

    other = "111122223333"
    iam = sb.client("iam", access_key=other, secret_key="x")
    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="kms", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}))
    creds = iam.create_access_key(UserName="bob")["AccessKey"]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{sb.account_id}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other}:root"},
         "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]}
    key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]
    bob = sb.client("kms", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"])
    blob = bob.encrypt(KeyId=key["Arn"], Plaintext=b"shared")
    assert blob["KeyId"] == key["Arn"]
    assert bob.decrypt(CiphertextBlob=blob["CiphertextBlob"])["Plaintext"] == b"shared"
    assert kms.decrypt(CiphertextBlob=blob["CiphertextBlob"])["Plaintext"] == b"shared"


def test_a_key_arn_from_another_region_is_not_found():
    from botocore.exceptions import ClientError

    from kmslab import sandbox

    with sandbox.start() as box:
        arn = box.client("kms", "us-west-2").create_key()["KeyMetadata"]["Arn"]
        try:
            box.client("kms").encrypt(KeyId=arn, Plaintext=b"x")
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "NotFoundException"
            assert exc.response["Error"]["Message"] == "Invalid arn us-west-2"
        else:
            raise AssertionError("a us-west-2 key ARN must not work against us-east-1")
