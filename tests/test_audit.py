"""The audit trail (sources: cloudtrail-logging, encryption-context): CloudTrail LookupEvents through plain boto3 clients."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from kmslab.teach import audit as teach_audit


@pytest.fixture(scope="module")
def key_arn(kms):
    return kms.create_key(Description="audit test")["KeyMetadata"]["Arn"]


def records(ct, **attribute):
    kwargs = {}
    if attribute:
        (k, v), = attribute.items()
        kwargs["LookupAttributes"] = [{"AttributeKey": k, "AttributeValue": v}]
    return [json.loads(e["CloudTrailEvent"]) for e in ct.lookup_events(**kwargs)["Events"]]


def test_every_request_is_a_cloudtrail_record(kms, ct, key_arn):
    kms.encrypt(KeyId=key_arn, Plaintext=b"x", EncryptionContext={"purpose": "audit"})
    record = records(ct, EventName="Encrypt")[0]
    assert record["eventSource"] == "kms.amazonaws.com" and record["eventName"] == "Encrypt"
    assert record["userIdentity"]["arn"] == "arn:aws:iam::123456789012:root"
    assert record["resources"] == [{"accountId": "123456789012", "type": "AWS::KMS::Key", "ARN": key_arn}]
    assert record["requestParameters"]["encryptionContext"] == {"purpose": "audit"}
    assert record["requestParameters"]["keyId"] == key_arn
    assert "plaintext" not in json.dumps(record).lower()
    assert "errorCode" not in record


def test_failed_calls_are_recorded_with_error_code(kms, ct):
    with pytest.raises(ClientError):
        kms.encrypt(KeyId="alias/not-there", Plaintext=b"x")
    record = records(ct, EventName="Encrypt")[0]
    assert record["errorCode"] == "NotFoundException" and record["errorMessage"]


def test_lookup_attributes_newest_first_and_paging(kms, ct, key_arn):
    for _ in range(3):
        kms.describe_key(KeyId=key_arn)
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": key_arn}],
                              MaxResults=2)
    assert len(events["Events"]) == 2 and events["NextToken"]
    times = [e["EventTime"] for e in ct.lookup_events()["Events"]]
    assert times == sorted(times, reverse=True)
    assert all(e["ReadOnly"] == "true" for e in ct.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "DescribeKey"}])["Events"])
    with pytest.raises(ClientError):
        ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "A"},
                                           {"AttributeKey": "EventName", "AttributeValue": "B"}])


def test_events_are_per_region(sb, kms, ct):
    kms.list_keys()
    other = sb.client("cloudtrail", region="eu-west-1")
    assert all(e["EventName"] != "ListKeys" for e in other.lookup_events()["Events"])


def test_service_calls_show_the_service(sb, ct):
    s3 = sb.client("s3")
    s3.create_bucket(Bucket="kmslab-audit")
    s3.put_object(Bucket="kmslab-audit", Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    record = records(ct, EventName="GenerateDataKey")[0]
    assert record["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
    assert record["sourceIPAddress"] == "s3.amazonaws.com"
    assert record["userIdentity"]["accessKeyId"]


def test_reset_clears_the_trail(sb, ct):
    sb.reset()
    assert ct.lookup_events()["Events"] == []


def test_teach_table(sb, kms, ct):
    sb.reset()
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"dept": "hr"})
    lines = teach_audit.table(ct).splitlines()
    assert lines[0].split() == ["eventName", "caller", "key", "context", "errorCode"]
    assert lines[1].split() == ["CreateKey", "root", key[:8], "-", "-"]
    assert lines[2].split() == ["Encrypt", "root", key[:8], "dept=hr", "-"]


def test_local_endpoint_lookup_events(endpoint):
    def client(name):
        return boto3.client(name, endpoint_url=endpoint.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    events = client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}])["Events"]
    assert any(r["ResourceName"] == key for e in events for r in e["Resources"])
