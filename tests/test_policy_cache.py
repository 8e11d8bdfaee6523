"""Policy documents are parsed once per text (policy.document), and the next request still sees
every change: a new key policy, an IAM policy attached, detached or given a new default version.
Each change is checked through the local endpoint with plain boto3 clients, as learners see it."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from kmslab.service.policy import document
from kmslab.service.policy.document import MalformedPolicy, parse

ACCOUNT = "123456789012"
ALLOW_ENCRYPT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]})
DENY_ENCRYPT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*"}]})


def code(call, **kwargs) -> str | None:
    try:
        call(**kwargs)
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    return None


def client(endpoint, service, key=None):
    creds = ({"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
             if key else {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
    return boto3.client(service, endpoint_url=endpoint.url, region_name="us-east-1", **creds)


def key_policy(*extra: dict) -> str:
    root = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [root, *extra]})


# -- the cache itself ---------------------------------------------------------------------------

def test_a_text_is_parsed_once_and_its_document_shared():
    text = key_policy({"Sid": "once", "Effect": "Deny", "Principal": "*", "Action": "kms:Sign",
                       "Resource": "*"})
    assert parse(text) is parse(text)
    assert parse(text) == json.loads(text)
    assert document.load(ALLOW_ENCRYPT) is document.load(ALLOW_ENCRYPT)


def test_a_malformed_text_is_refused_every_time_not_remembered_as_good():
    for _ in range(2):
        with pytest.raises(MalformedPolicy):
            parse('{"Statement": [{"Effect": "Maybe"}]}')
        with pytest.raises(MalformedPolicy):
            parse("not json")
        with pytest.raises(MalformedPolicy):
            parse(["not", "a", "text"])  # unhashable: refused as before, not a TypeError


def test_a_document_given_as_a_dict_is_checked_every_time():
    doc = json.loads(key_policy())
    assert parse(doc) is doc
    doc["Statement"][0]["Effect"] = "Perhaps"
    with pytest.raises(MalformedPolicy):
        parse(doc)


def test_resource_policy_and_identity_policy_checks_are_kept_apart():
    identity_text = ALLOW_ENCRYPT  # no Principal: fine for IAM, not for a key policy
    assert parse(identity_text, resource_policy=False)["Statement"][0]["Action"] == "kms:Encrypt"
    with pytest.raises(MalformedPolicy):
        parse(identity_text, resource_policy=True)


# -- every change reaches the next request -------------------------------------------------------

def test_put_key_policy_takes_effect_on_the_next_request(sb, endpoint):
    kms = client(endpoint, "kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    deny = key_policy({"Sid": "no encrypt", "Effect": "Deny", "Principal": "*",
                       "Action": "kms:Encrypt", "Resource": "*"})
    allow = key_policy()
    for text, expected in ((allow, None), (deny, "AccessDeniedException"), (allow, None),
                           (deny, "AccessDeniedException"), (allow, None)):  # texts seen before too
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=text)
        assert code(kms.encrypt, KeyId=key_id, Plaintext=b"x") == expected, text


def test_iam_policies_take_effect_and_stop_at_once(sb, endpoint):
    iam = client(endpoint, "iam")
    iam.create_user(UserName="cache-dana")
    dana = client(endpoint, "kms", iam.create_access_key(UserName="cache-dana")["AccessKey"])
    key_id = client(endpoint, "kms").create_key()["KeyMetadata"]["KeyId"]  # default policy: IAM decides

    def dana_encrypts() -> str | None:
        return code(dana.encrypt, KeyId=key_id, Plaintext=b"x")

    assert dana_encrypts() == "AccessDeniedException"
    iam.put_user_policy(UserName="cache-dana", PolicyName="inline", PolicyDocument=ALLOW_ENCRYPT)
    assert dana_encrypts() is None
    iam.delete_user_policy(UserName="cache-dana", PolicyName="inline")
    assert dana_encrypts() == "AccessDeniedException"

    arn = iam.create_policy(PolicyName="cache-managed", PolicyDocument=ALLOW_ENCRYPT)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="cache-dana", PolicyArn=arn)
    assert dana_encrypts() is None
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=DENY_ENCRYPT, SetAsDefault=True)
    assert dana_encrypts() == "AccessDeniedException"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert dana_encrypts() is None
    iam.detach_user_policy(UserName="cache-dana", PolicyArn=arn)
    assert dana_encrypts() == "AccessDeniedException"

    iam.create_group(GroupName="cache-encrypters")
    iam.put_group_policy(GroupName="cache-encrypters", PolicyName="g", PolicyDocument=ALLOW_ENCRYPT)
    iam.add_user_to_group(GroupName="cache-encrypters", UserName="cache-dana")
    assert dana_encrypts() is None
    iam.remove_user_from_group(GroupName="cache-encrypters", UserName="cache-dana")
    assert dana_encrypts() == "AccessDeniedException"
