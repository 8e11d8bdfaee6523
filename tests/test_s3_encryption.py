"""S3 server-side encryption through KMS (sources: sse-s3-default, sse-s3, sse-kms, s3-bucket-keys, dsse-kms, sse-c, sse-c-blocked-by-default, quotas-count-service-requests), seen through plain boto3 clients."""
from __future__ import annotations

import base64
import hashlib
import json
import os

import boto3
import pytest
from botocore.exceptions import ClientError

from kmslab import sandbox

REGION = "us-east-1"


@pytest.fixture(scope="module")
def key_arn(kms):
    return kms.create_key()["KeyMetadata"]["Arn"]


_count = iter(range(10_000))


def new_bucket(s3) -> str:
    name = f"kmslab-test-{next(_count)}"
    s3.create_bucket(Bucket=name)
    return name


def stored_bytes(bucket: str, key: str) -> bytes:
    """What moto holds for the object (the test looks inside; lessons never do)."""
    from moto.s3.models import s3_backends

    return s3_backends[sandbox.DEFAULT_ACCOUNT]["aws"].buckets[bucket].keys[key].value


def kms_events(ct, name: str) -> list[dict]:
    pages = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}],
                             MaxResults=50)["Events"]
    return [json.loads(e["CloudTrailEvent"]) for e in pages]


def error(caught) -> tuple[int, str]:
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_new_bucket_default_is_sse_s3_and_objects_report_it(s3):
    bucket = new_bucket(s3)
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert rules[0]["BlockedEncryptionTypes"] == {"EncryptionType": ["SSE-C"]}
    assert s3.put_object(Bucket=bucket, Key="a", Body=b"hi")["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="a")["ServerSideEncryption"] == "AES256"
    s3.delete_bucket_encryption(Bucket=bucket)  # goes back to SSE-S3, never unencrypted
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_sse_kms_put_calls_generate_data_key_and_stores_ciphertext(s3, ct, key_arn):
    bucket = new_bucket(s3)
    before = len(kms_events(ct, "GenerateDataKey"))
    out = s3.put_object(Bucket=bucket, Key="doc", Body=b"top secret text",
                        ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    assert out["ServerSideEncryption"] == "aws:kms" and out["SSEKMSKeyId"] == key_arn
    assert b"top secret" not in stored_bytes(bucket, "doc")
    events = kms_events(ct, "GenerateDataKey")
    assert len(events) == before + 1
    newest = events[0]
    assert newest["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
    assert newest["requestParameters"]["encryptionContext"] == {"aws:s3:arn": f"arn:aws:s3:::{bucket}/doc"}
    got = s3.get_object(Bucket=bucket, Key="doc")
    assert got["Body"].read() == b"top secret text" and got["ContentLength"] == 15
    assert kms_events(ct, "Decrypt")[0]["requestParameters"]["encryptionContext"] == \
        {"aws:s3:arn": f"arn:aws:s3:::{bucket}/doc"}
    assert s3.head_object(Bucket=bucket, Key="doc")["SSEKMSKeyId"] == key_arn


def test_sse_kms_without_key_id_uses_and_reports_aws_s3(s3, kms):
    bucket = new_bucket(s3)
    out = s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    assert out["SSEKMSKeyId"] == managed


def test_bucket_default_sse_kms_applies_without_headers(s3, key_arn):
    bucket = new_bucket(s3)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]})
    out = s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert (out["ServerSideEncryption"], out["SSEKMSKeyId"]) == ("aws:kms", key_arn)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_missing_key_fails_the_put_and_stores_nothing(s3):
    bucket = new_bucket(s3)
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                      SSEKMSKeyId="alias/does-not-exist")
    assert error(caught) == (400, "KMS.NotFoundException")
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_disabled_key_fails_the_get(s3, kms):
    key = kms.create_key()["KeyMetadata"]["Arn"]
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    kms.disable_key(KeyId=key)
    try:
        with pytest.raises(ClientError) as caught:
            s3.get_object(Bucket=bucket, Key="k")
        assert error(caught) == (400, "KMS.DisabledException")
    finally:
        kms.enable_key(KeyId=key)


def test_custom_encryption_context_is_added_to_the_default(s3, ct, key_arn):
    bucket = new_bucket(s3)
    extra = base64.b64encode(json.dumps({"project": "kmslab"}).encode()).decode()
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key_arn, SSEKMSEncryptionContext=extra)
    context = kms_events(ct, "GenerateDataKey")[0]["requestParameters"]["encryptionContext"]
    assert context == {"project": "kmslab", "aws:s3:arn": f"arn:aws:s3:::{bucket}/k"}
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_bucket_key_calls_kms_once_for_many_objects(s3, ct, key_arn):
    bucket = new_bucket(s3)
    before = len(kms_events(ct, "GenerateDataKey"))
    for i in range(20):
        out = s3.put_object(Bucket=bucket, Key=f"o{i}", Body=b"x", ServerSideEncryption="aws:kms",
                            SSEKMSKeyId=key_arn, BucketKeyEnabled=True)
    assert out["BucketKeyEnabled"] is True
    events = kms_events(ct, "GenerateDataKey")
    assert len(events) == before + 1
    assert events[0]["requestParameters"]["encryptionContext"] == {"aws:s3:arn": f"arn:aws:s3:::{bucket}"}
    before_decrypt = len(kms_events(ct, "Decrypt"))
    assert [s3.get_object(Bucket=bucket, Key=f"o{i}")["Body"].read() for i in range(5)] == [b"x"] * 5
    assert len(kms_events(ct, "Decrypt")) == before_decrypt + 1


def test_bucket_key_is_renewed_after_its_lifetime(sb, s3, ct, key_arn):
    from kmslab.service import s3_encryption

    bucket = new_bucket(s3)
    put = dict(Bucket=bucket, Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn,
               BucketKeyEnabled=True)
    before = len(kms_events(ct, "GenerateDataKey"))
    s3.put_object(Key="a", **put)
    sb.clock.advance(s3_encryption.BUCKET_KEY_LIFETIME_SECONDS + 1)
    s3.put_object(Key="b", **put)
    assert len(kms_events(ct, "GenerateDataKey")) == before + 2


def test_dsse_kms_reports_the_key_arn_on_put_get_head(s3, kms, key_arn):
    bucket = new_bucket(s3)
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    put = s3.put_object(Bucket=bucket, Key="d", Body=b"dual", ServerSideEncryption="aws:kms:dsse")
    assert (put["ServerSideEncryption"], put.get("SSEKMSKeyId")) == ("aws:kms:dsse", managed)
    got = s3.get_object(Bucket=bucket, Key="d")
    assert (got["SSEKMSKeyId"], got["Body"].read()) == (managed, b"dual")
    assert s3.head_object(Bucket=bucket, Key="d")["SSEKMSKeyId"] == managed
    assert stored_bytes(bucket, "d") != b"dual"
    named = s3.put_object(Bucket=bucket, Key="n", Body=b"x", ServerSideEncryption="aws:kms:dsse",
                          SSEKMSKeyId=key_arn)
    assert named["SSEKMSKeyId"] == key_arn


def test_dsse_kms_never_uses_a_bucket_key(s3, ct, key_arn):
    # (sources: s3-bucket-keys) bucket keys are not supported for DSSE-KMS; each object gets a data key.
    bucket = new_bucket(s3)
    before = len(kms_events(ct, "GenerateDataKey"))
    for i in range(3):
        out = s3.put_object(Bucket=bucket, Key=f"d{i}", Body=b"x", ServerSideEncryption="aws:kms:dsse",
                            SSEKMSKeyId=key_arn, BucketKeyEnabled=True)
        assert "BucketKeyEnabled" not in out
    events = kms_events(ct, "GenerateDataKey")
    assert len(events) == before + 3
    assert events[0]["requestParameters"]["encryptionContext"] == {"aws:s3:arn": f"arn:aws:s3:::{bucket}/d2"}


def _customer_key() -> dict:
    key = os.urandom(32)
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def _allow_sse_c(s3, bucket):
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
         "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]})


def test_sse_c_is_blocked_by_default_on_new_buckets(s3):
    bucket = new_bucket(s3)
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", **_customer_key())
    assert error(caught) == (403, "AccessDenied")


def test_sse_c_needs_the_same_key_to_read(s3):
    bucket = new_bucket(s3)
    _allow_sse_c(s3, bucket)
    ck = _customer_key()
    out = s3.put_object(Bucket=bucket, Key="k", Body=b"customer data", **ck)
    md5 = base64.b64encode(hashlib.md5(ck["SSECustomerKey"]).digest()).decode()
    assert (out["SSECustomerAlgorithm"], out["SSECustomerKeyMD5"]) == ("AES256", md5)
    assert "ServerSideEncryption" not in out
    assert b"customer data" not in stored_bytes(bucket, "k")
    for call in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as caught:
            call(Bucket=bucket, Key="k")
        assert error(caught)[0] == 400
        with pytest.raises(ClientError) as caught:
            call(Bucket=bucket, Key="k", **_customer_key())
        assert error(caught)[0] == 403
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="k")
    assert error(caught) == (400, "InvalidRequest")
    got = s3.get_object(Bucket=bucket, Key="k", **ck)
    assert got["Body"].read() == b"customer data" and got["SSECustomerKeyMD5"] == md5
    assert s3.head_object(Bucket=bucket, Key="k", **ck)["ContentLength"] == 13


def test_copy_re_encrypts_under_the_destination_key(s3, ct, kms, key_arn):
    other = kms.create_key()["KeyMetadata"]["Arn"]
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy me", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key_arn)
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                   ServerSideEncryption="aws:kms", SSEKMSKeyId=other)
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"copy me" and got["SSEKMSKeyId"] == other


# -- the local endpoint, a plain boto3 client ----------------------------------------------

def test_local_endpoint_sse_kms_and_sse_c(endpoint):
    def client(name):
        return boto3.client(name, endpoint_url=endpoint.url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    s3, kms = client("s3"), client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket="kmslab-endpoint")
    s3.put_object(Bucket="kmslab-endpoint", Key="k", Body=b"via http", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key)
    assert b"via http" not in stored_bytes("kmslab-endpoint", "k")
    assert s3.get_object(Bucket="kmslab-endpoint", Key="k")["Body"].read() == b"via http"
    _allow_sse_c(s3, "kmslab-endpoint")
    s3.put_object(Bucket="kmslab-endpoint", Key="c", Body=b"c", **_customer_key())
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="kmslab-endpoint", Key="c")
    assert error(caught) == (400, "InvalidRequest")
    names = [e["EventName"] for e in client("cloudtrail").lookup_events()["Events"]]
    assert "GenerateDataKey" in names and "Decrypt" in names
