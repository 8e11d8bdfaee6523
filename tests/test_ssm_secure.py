"""SSM Parameter Store SecureString through KMS (sources: parameter-store), seen through plain boto3 clients."""
from __future__ import annotations

import base64
import json

import boto3
import pytest
from botocore.exceptions import ClientError



def newest(ct, name):
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])
    return json.loads(events["Events"][0]["CloudTrailEvent"])


def test_secure_string_is_a_kms_ciphertext_under_aws_ssm(ssm, kms, ct):
    ssm.put_parameter(Name="/t/db-password", Value="hunter2", Type="SecureString")
    hidden = ssm.get_parameter(Name="/t/db-password")["Parameter"]["Value"]
    assert "hunter2" not in hidden and not hidden.startswith("kms:")
    assert "hunter2" not in base64.b64decode(hidden).decode("latin-1")
    event = newest(ct, "Encrypt")
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter/t/db-password"
    assert event["requestParameters"]["encryptionContext"] == {"PARAMETER_ARN": arn}
    assert event["userIdentity"]["invokedBy"] == "ssm.amazonaws.com"
    managed = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["Arn"]
    assert event["resources"][0]["ARN"] == managed
    shown = ssm.get_parameter(Name="/t/db-password", WithDecryption=True)["Parameter"]["Value"]
    assert shown == "hunter2"
    assert newest(ct, "Decrypt")["requestParameters"]["encryptionContext"] == {"PARAMETER_ARN": arn}


def test_with_decryption_false_hides_the_value_everywhere(ssm):
    ssm.put_parameter(Name="/t/p1", Value="s3cret", Type="SecureString")
    values = [p["Value"] for p in ssm.get_parameters(Names=["/t/p1"])["Parameters"]]
    values += [p["Value"] for p in ssm.get_parameters_by_path(Path="/t")["Parameters"]]
    values += [p["Value"] for p in ssm.get_parameter_history(Name="/t/p1")["Parameters"]]
    assert values and all("s3cret" not in v for v in values)
    assert ssm.get_parameters(Names=["/t/p1"], WithDecryption=True)["Parameters"][0]["Value"] == "s3cret"


def test_customer_key_and_advanced_tier(ssm, kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    big = "x" * 6000   # over the 4096-byte Encrypt limit: advanced tier uses envelope encryption
    ssm.put_parameter(Name="/t/big", Value=big, Type="SecureString", KeyId=key, Tier="Advanced")
    assert ssm.get_parameter(Name="/t/big", WithDecryption=True)["Parameter"]["Value"] == big
    assert big not in ssm.get_parameter(Name="/t/big")["Parameter"]["Value"]


def test_nonexistent_key_is_rejected_at_put(ssm):
    with pytest.raises(ClientError) as caught:
        ssm.put_parameter(Name="/t/bad", Value="v", Type="SecureString", KeyId="alias/no-such-key")
    assert caught.value.response["Error"]["Code"] == "InvalidKeyId"
    assert "NotFoundException" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        ssm.get_parameter(Name="/t/bad")
    assert caught.value.response["Error"]["Code"] == "ParameterNotFound"


def test_disabled_key_blocks_decryption(ssm, kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    ssm.put_parameter(Name="/t/off", Value="v", Type="SecureString", KeyId=key)
    kms.disable_key(KeyId=key)
    try:
        with pytest.raises(ClientError) as caught:
            ssm.get_parameter(Name="/t/off", WithDecryption=True)
        assert caught.value.response["Error"]["Code"] == "InvalidKeyId"
        assert "DisabledException" in caught.value.response["Error"]["Message"]
        assert ssm.get_parameter(Name="/t/off")["Parameter"]["Value"] != "v"  # ciphertext still readable
    finally:
        kms.enable_key(KeyId=key)


def test_local_endpoint_secure_string(endpoint):
    ssm = boto3.client("ssm", endpoint_url=endpoint.url, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    ssm.put_parameter(Name="/t/remote", Value="over-http", Type="SecureString")
    assert "over-http" not in ssm.get_parameter(Name="/t/remote")["Parameter"]["Value"]
    assert ssm.get_parameter(Name="/t/remote", WithDecryption=True)["Parameter"]["Value"] == "over-http"
