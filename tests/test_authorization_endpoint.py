"""Authorization against the local endpoint: plain boto3 clients over HTTP (issue 4)."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from kmslab import sandbox
from kmslab.teach import cast, policies

from test_authorization import VECTORS, run_vector

SUBSET = [v for v in VECTORS if v["name"].startswith((
    "default policy: user without", "console default: key administrator cannot decrypt",
    "console default: key user may encrypt", "cross-account: key policy allows",
    "cross-account: no IAM", "grant: grantee without policy", "explicit Deny in the key policy",
    "encryption context: StringEquals, other value", "ViaService: aws/s3-style policy allows"))]


@pytest.fixture(scope="module")
def endpoint_world():
    sb = sandbox.start("endpoint")
    people = cast.build(sb)
    yield sb, people
    sb.stop()


def test_subset_is_meaningful():
    assert len(SUBSET) == 9


@pytest.mark.parametrize("v", SUBSET, ids=[v["name"] for v in SUBSET])
def test_vector_over_http(endpoint_world, v):
    sb, people = endpoint_world
    arn, error = run_vector(sb, people, v)
    if v["expect"] == "allow":
        assert error is None, error
    else:
        assert error is not None and error.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied")


def test_plain_client_with_its_own_iam_user(endpoint_world):
    sb, _ = endpoint_world
    def client(service, **creds):
        creds = creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        return boto3.client(service, endpoint_url=sb.endpoint_url, region_name="us-east-1", **creds)

    iam = client("iam")
    iam.create_user(UserName="carol")
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    carol = client("kms", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    admin = client("kms")
    arn = admin.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError) as err:
        carol.encrypt(KeyId=arn, Plaintext=b"hello")
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    assert err.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{sb.account_id}:user/carol is not authorized to perform: kms:Encrypt "
        f"on resource: {arn} because no identity-based policy allows the kms:Encrypt action")
    iam.put_user_policy(UserName="carol", PolicyName="use-key", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:Encrypt"], "Resource": arn}]}))
    assert carol.encrypt(KeyId=arn, Plaintext=b"hello")["KeyId"] == arn
    # a malformed policy and the lockout check also come back over HTTP
    with pytest.raises(ClientError) as err:
        admin.put_key_policy(KeyId=arn, Policy=json.dumps(policies.document(
            policies.statement("Allow", f"arn:aws:iam::{sb.account_id}:user/carol", "kms:Encrypt"))))
    assert err.value.response["Error"]["Code"] == "MalformedPolicyDocumentException"
