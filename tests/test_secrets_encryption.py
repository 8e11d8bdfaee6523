"""Secrets Manager values through KMS (sources: secrets-manager), seen through plain boto3 clients."""
from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError



def events(ct, name):
    found = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])
    return [json.loads(e["CloudTrailEvent"]) for e in found["Events"]]


def code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


def test_default_key_context_and_caller(sm, kms, ct):
    out = sm.create_secret(Name="t/default", SecretString="hunter2")
    context = {"SecretARN": out["ARN"], "SecretVersionId": out["VersionId"]}
    generated = events(ct, "GenerateDataKey")[0]
    assert generated["requestParameters"]["encryptionContext"] == context
    assert generated["requestParameters"]["keySpec"] == "AES_256"
    assert generated["userIdentity"]["invokedBy"] == "secretsmanager.amazonaws.com"
    managed = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    assert generated["resources"][0]["ARN"] == managed["Arn"]

    assert sm.get_secret_value(SecretId="t/default")["SecretString"] == "hunter2"
    decrypted = events(ct, "Decrypt")[0]
    assert decrypted["requestParameters"]["encryptionContext"] == context
    assert decrypted["userIdentity"]["invokedBy"] == "secretsmanager.amazonaws.com"


def test_each_version_has_its_own_data_key_and_only_ciphertext_is_stored(sm, ct):
    sm.create_secret(Name="t/versions", SecretString="first")
    second = sm.put_secret_value(SecretId="t/versions", SecretString="second")
    generated = [e for e in events(ct, "GenerateDataKey")
                 if e["requestParameters"]["encryptionContext"]["SecretARN"] == second["ARN"]]
    assert len(generated) == 2
    assert len({e["requestParameters"]["encryptionContext"]["SecretVersionId"] for e in generated}) == 2
    assert sm.get_secret_value(SecretId="t/versions")["SecretString"] == "second"
    previous = sm.get_secret_value(SecretId="t/versions", VersionStage="AWSPREVIOUS")
    assert previous["SecretString"] == "first"
    # What moto keeps is the ciphertext, not the value.
    from moto.secretsmanager.models import secretsmanager_backends

    stored = secretsmanager_backends["123456789012"]["us-east-1"].secrets["t/versions"].versions
    assert all(v["secret_string"] not in ("first", "second") for v in stored.values())


def test_secret_binary_roundtrip(sm):
    sm.create_secret(Name="t/binary", SecretBinary=b"\x00\xffkey")
    assert sm.get_secret_value(SecretId="t/binary")["SecretBinary"] == b"\x00\xffkey"


def test_disabled_key_blocks_get_secret_value(sm, kms, ct):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    sm.create_secret(Name="t/disabled", SecretString="v", KmsKeyId=key)
    kms.disable_key(KeyId=key)
    try:
        with pytest.raises(ClientError) as err:
            sm.get_secret_value(SecretId="t/disabled")
        assert code(err) == "DecryptionFailure"
        assert events(ct, "Decrypt")[0]["errorCode"] == "DisabledException"
        batch = sm.batch_get_secret_value(SecretIdList=["t/disabled", "t/binary"])
        assert [e["ErrorCode"] for e in batch["Errors"]] == ["DecryptionFailure"]
        assert [s["Name"] for s in batch["SecretValues"]] == ["t/binary"]
    finally:
        kms.enable_key(KeyId=key)
    assert sm.get_secret_value(SecretId="t/disabled")["SecretString"] == "v"


def test_pending_deletion_key_blocks_get_secret_value(sm, kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    sm.create_secret(Name="t/pending", SecretString="v", KmsKeyId=key)
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    with pytest.raises(ClientError) as err:
        sm.get_secret_value(SecretId="t/pending")
    assert code(err) == "DecryptionFailure"


def test_nonexistent_key_rejected_at_create_and_nothing_stored(sm):
    with pytest.raises(ClientError) as err:
        sm.create_secret(Name="t/missing-key", SecretString="v", KmsKeyId="alias/kmslab-no-such-key")
    assert code(err) == "InvalidParameterException"
    with pytest.raises(ClientError) as err:
        sm.describe_secret(SecretId="t/missing-key")
    assert code(err) == "ResourceNotFoundException"


def test_disabled_key_rejected_at_create(sm, kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key)
    with pytest.raises(ClientError) as err:
        sm.create_secret(Name="t/disabled-at-create", SecretString="v", KmsKeyId=key)
    assert code(err) == "EncryptionFailure"
    with pytest.raises(ClientError):
        sm.describe_secret(SecretId="t/disabled-at-create")


def test_choosing_a_key_validates_access_first(sm, kms, ct):
    key = kms.create_key()["KeyMetadata"]["Arn"]
    out = sm.create_secret(Name="t/validated", SecretString="v", KmsKeyId=key)
    contexts = [e["requestParameters"]["encryptionContext"] for e in events(ct, "GenerateDataKey")
                if e["requestParameters"]["encryptionContext"].get("SecretARN") == out["ARN"]]
    assert {"SecretARN": out["ARN"], "SecretVersionId": "RequestToValidateKeyAccess"} in contexts
    assert {"SecretARN": out["ARN"], "SecretVersionId": out["VersionId"]} in contexts


def test_key_policy_denial_is_access_to_kms_not_allowed(sm, kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    sm.create_secret(Name="t/denied", SecretString="v", KmsKeyId=key)
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "no-decrypt", "Effect": "Deny", "Principal": {"AWS": "*"},
         "Action": "kms:Decrypt", "Resource": "*"}]}
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
    with pytest.raises(ClientError) as err:
        sm.get_secret_value(SecretId="t/denied")
    assert code(err) == "AccessDeniedException"
    assert err.value.response["Error"]["Message"] == "Access to KMS is not allowed"


def test_retry_with_same_token_compares_the_decrypted_value(sm):
    sm.create_secret(Name="t/idempotent", SecretString="a")
    token = str(uuid.uuid4())
    first = sm.put_secret_value(SecretId="t/idempotent", SecretString="b", ClientRequestToken=token)
    again = sm.put_secret_value(SecretId="t/idempotent", SecretString="b", ClientRequestToken=token)
    assert again["VersionId"] == first["VersionId"] == token
    with pytest.raises(ClientError) as err:
        sm.put_secret_value(SecretId="t/idempotent", SecretString="c", ClientRequestToken=token)
    assert code(err) == "ResourceExistsException"


def test_local_endpoint_secret_through_kms(endpoint):
    def client(service):
        return boto3.client(service, endpoint_url=endpoint.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    sm, kms = client("secretsmanager"), client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    sm.create_secret(Name="t/remote", SecretString="over-http", KmsKeyId=key)
    assert sm.get_secret_value(SecretId="t/remote")["SecretString"] == "over-http"
    kms.disable_key(KeyId=key)
    with pytest.raises(ClientError) as err:
        sm.get_secret_value(SecretId="t/remote")
    assert code(err) == "DecryptionFailure"
    with pytest.raises(ClientError) as err:
        sm.create_secret(Name="t/remote-missing", SecretString="v", KmsKeyId="alias/kmslab-no-such-key")
    assert code(err) == "InvalidParameterException"
