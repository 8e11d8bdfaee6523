"""S3 bucket policies that require encryption or TLS (sources: bucket-policy-require-encryption, bucket-policy-require-tls), through plain boto3.

moto alone ignores the Conditions and denies every PutObject (moto-gaps 2.3);
the sandbox evaluates them.
"""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from kmslab.server import LocalEndpoint

_count = iter(range(10_000))


def deny_unless_kms(bucket: str) -> dict:
    """(sources: bucket-policy-require-encryption) deny PutObject unless the request asks for SSE-KMS."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyNotKms", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]}


def deny_missing_header(bucket: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyNoHeader", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}]}


def deny_other_key(bucket: str, key_arn: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyOtherKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}}}]}


def deny_http(bucket: str) -> dict:
    """(sources: bucket-policy-require-tls) deny s3:* on the bucket and its objects when the request is not HTTPS."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def bucket_with(s3, policy_for) -> str:
    name = f"kmslab-policy-{next(_count)}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy_for(name)))
    return name


def error_of(call) -> tuple[int, str]:
    with pytest.raises(ClientError) as info:
        call()
    err = info.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"]


@pytest.fixture(scope="module")
def key_arn(sb):
    return sb.client("kms").create_key()["KeyMetadata"]["Arn"]


def test_require_kms_allows_kms_and_denies_the_rest(s3, key_arn):
    bucket = bucket_with(s3, deny_unless_kms)
    ok = s3.put_object(Bucket=bucket, Key="a", Body=b"x", ServerSideEncryption="aws:kms",
                       SSEKMSKeyId=key_arn)
    assert ok["ServerSideEncryption"] == "aws:kms"
    assert error_of(lambda: s3.put_object(Bucket=bucket, Key="b", Body=b"x",
                                          ServerSideEncryption="AES256")) == (403, "AccessDenied")
    # No header: the key is absent, so StringNotEquals holds (sources: bucket-policy-require-encryption caveat).
    assert error_of(lambda: s3.put_object(Bucket=bucket, Key="c", Body=b"x")) == (403, "AccessDenied")
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"x"


def test_denied_put_stores_nothing_and_calls_no_kms(sb, s3, key_arn):
    bucket = bucket_with(s3, deny_unless_kms)
    ct = sb.client("cloudtrail")
    before = len(ct.lookup_events(LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "GenerateDataKey"}], MaxResults=50)["Events"])
    error_of(lambda: s3.put_object(Bucket=bucket, Key="nope", Body=b"x", ServerSideEncryption="AES256"))
    after = len(ct.lookup_events(LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "GenerateDataKey"}], MaxResults=50)["Events"])
    assert after == before
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_null_header_rule_denies_default_encrypted_upload(s3):
    bucket = bucket_with(s3, deny_missing_header)
    assert error_of(lambda: s3.put_object(Bucket=bucket, Key="a", Body=b"x")) == (403, "AccessDenied")
    assert s3.put_object(Bucket=bucket, Key="b", Body=b"x",
                         ServerSideEncryption="AES256")["ServerSideEncryption"] == "AES256"


def test_require_a_specific_key(sb, s3, key_arn):
    other = sb.client("kms").create_key()["KeyMetadata"]["Arn"]
    bucket = bucket_with(s3, lambda b: deny_other_key(b, key_arn))
    s3.put_object(Bucket=bucket, Key="a", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    assert error_of(lambda: s3.put_object(Bucket=bucket, Key="b", Body=b"x",
                                          ServerSideEncryption="aws:kms", SSEKMSKeyId=other)) == (403, "AccessDenied")


def test_https_requests_pass_a_tls_only_policy(s3):
    bucket = bucket_with(s3, deny_http)   # in-process clients use https:// URLs
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"x"
    s3.delete_object(Bucket=bucket, Key="a")


def test_policy_for_another_bucket_path_does_not_apply(s3):
    bucket = bucket_with(s3, lambda b: deny_unless_kms(b + "-other"))
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")


def test_deny_for_another_principal_does_not_apply(s3):
    def policy(bucket):
        doc = deny_unless_kms(bucket)
        doc["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::111122223333:root"}
        return doc
    bucket = bucket_with(s3, policy)
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")


def test_unconditional_deny_still_blocks_get_and_head(s3):
    bucket = f"kmslab-policy-{next(_count)}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert error_of(lambda: s3.get_object(Bucket=bucket, Key="a")) == (403, "AccessDenied")
    assert error_of(lambda: s3.head_object(Bucket=bucket, Key="a"))[0] == 403
    s3.put_object(Bucket=bucket, Key="b", Body=b"y")   # PutObject is not denied


# -- the local endpoint: plain HTTP on 127.0.0.1, so aws:SecureTransport is false --------

@pytest.fixture(scope="module")
def endpoint_s3(sb):
    server = LocalEndpoint(seed=None)   # shares the in-process sandbox's backends
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=server.url,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    yield client
    server.stop()


def test_tls_only_policy_denies_plain_http_on_the_local_endpoint(endpoint_s3):
    bucket = bucket_with(endpoint_s3, deny_http)
    assert error_of(lambda: endpoint_s3.put_object(Bucket=bucket, Key="a", Body=b"x")) == (403, "AccessDenied")


def test_require_kms_over_the_local_endpoint(endpoint_s3):
    bucket = bucket_with(endpoint_s3, deny_unless_kms)
    endpoint_s3.put_object(Bucket=bucket, Key="a", Body=b"x", ServerSideEncryption="aws:kms")
    assert error_of(lambda: endpoint_s3.put_object(Bucket=bucket, Key="b", Body=b"x")) == (403, "AccessDenied")
