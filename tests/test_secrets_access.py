"""Secrets Manager across accounts (sources: secrets-manager-cross-account): the secret's resource
policy, an IAM policy in the caller's account and a KMS key that lets the caller decrypt, all three;
explicit denies; and why aws/secretsmanager cannot be shared. Plain boto3 clients, in-process and
through the local endpoint."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from kmslab.service import secrets_access
from kmslab.teach import cast, policies


@pytest.fixture(scope="module")
def people(sb):
    return cast.build(sb)


def error(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def allow_account(account: str, action: str = "secretsmanager:GetSecretValue") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": action,
        "Resource": "*"}]})


@pytest.fixture(scope="module")
def shared(sb, kms, sm, people):
    """A secret in account A under a customer managed key whose policy lets account B decrypt
    through Secrets Manager, with a resource policy for account B; the partner's IAM policy in B."""
    b = people.second_account
    key_policy = policies.document(
        policies.enable_iam_statement(sb.account_id),
        policies.statement("Allow", f"arn:aws:iam::{b}:root", ["kms:Decrypt", "kms:DescribeKey"],
                           {"StringEquals": {"kms:ViaService": f"secretsmanager.{sb.region}.amazonaws.com"}},
                           sid="Account B decrypts through Secrets Manager"))
    key = kms.create_key(Policy=json.dumps(key_policy))["KeyMetadata"]["Arn"]
    arn = sm.create_secret(Name="xacct/db", SecretString="hunter2", KmsKeyId=key)["ARN"]
    people.put_policy(people.partner, "read-shared-secrets", [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": f"arn:aws:secretsmanager:{sb.region}:{sb.account_id}:secret:xacct/*"}])
    return arn


def test_without_a_resource_policy_the_other_account_is_refused(sm, people, shared):
    sm.delete_resource_policy(SecretId=shared)
    code, message = error(people.partner.client("secretsmanager").get_secret_value, SecretId=shared)
    assert code == "AccessDeniedException"
    assert message == (f"User: {people.partner.arn} is not authorized to perform: secretsmanager:GetSecretValue "
                       f"on resource: {shared} because no resource-based policy allows the "
                       "secretsmanager:GetSecretValue action")


def test_all_three_policies_let_the_other_account_read(sm, people, shared):
    sm.put_resource_policy(SecretId=shared, ResourcePolicy=allow_account(people.second_account))
    assert people.partner.client("secretsmanager").get_secret_value(SecretId=shared)["SecretString"] == "hunter2"


def test_the_iam_policy_in_the_callers_account_is_needed_too(sm, people, shared):
    sm.put_resource_policy(SecretId=shared, ResourcePolicy=allow_account(people.second_account))
    code, message = error(people.partner_no_iam.client("secretsmanager").get_secret_value, SecretId=shared)
    assert code == "AccessDeniedException"
    assert message.endswith("because no identity-based policy allows the secretsmanager:GetSecretValue action")


def test_the_resource_policy_allows_only_its_actions(sm, people, shared):
    sm.put_resource_policy(SecretId=shared, ResourcePolicy=allow_account(people.second_account))
    people.put_policy(people.partner, "describe-too", [
        {"Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": "*"}])
    code, message = error(people.partner.client("secretsmanager").describe_secret, SecretId=shared)
    assert code == "AccessDeniedException" and "secretsmanager:DescribeSecret" in message


def test_another_accounts_secret_must_be_named_by_its_arn(sm, people, shared):
    sm.put_resource_policy(SecretId=shared, ResourcePolicy=allow_account(people.second_account))
    code, _ = error(people.partner.client("secretsmanager").get_secret_value, SecretId="xacct/db")
    assert code == "ResourceNotFoundException"


def test_the_key_policy_must_let_the_other_account_decrypt(sb, kms, sm, people):
    key = kms.create_key()["KeyMetadata"]["Arn"]     # default key policy: account A only
    arn = sm.create_secret(Name="xacct/own-key-only", SecretString="v", KmsKeyId=key)["ARN"]
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=allow_account(people.second_account))
    code, message = error(people.partner.client("secretsmanager").get_secret_value, SecretId=arn)
    assert (code, message) == ("AccessDeniedException", "Access to KMS is not allowed")


def test_aws_secretsmanager_cannot_be_shared(sb, kms, sm, people):
    arn = sm.create_secret(Name="xacct/default-key", SecretString="v")["ARN"]
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=allow_account(people.second_account))
    code, message = error(people.partner.client("secretsmanager").get_secret_value, SecretId=arn)
    assert (code, message) == ("AccessDeniedException", "Access to KMS is not allowed")
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "v"     # its own account reads it
    managed = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    code, _ = error(kms.put_key_policy, KeyId=managed["KeyId"], PolicyName="default",
                    Policy=json.dumps(policies.document(policies.enable_iam_statement(people.second_account))))
    assert code == "AccessDeniedException"


def test_an_explicit_deny_refuses_even_the_owner(sm):
    arn = sm.create_secret(Name="xacct/denied", SecretString="v")["ARN"]
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    code, message = error(sm.get_secret_value, SecretId=arn)
    assert code == "AccessDeniedException"
    assert message.endswith("with an explicit deny in a resource-based policy")
    assert sm.describe_secret(SecretId=arn)["Name"] == "xacct/denied"   # other actions are not denied


def test_an_explicit_deny_in_the_callers_iam_policy(sm, people, shared):
    sm.put_resource_policy(SecretId=shared, ResourcePolicy=allow_account(people.second_account))
    people.put_policy(people.partner, "no-secrets", [
        {"Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*"}])
    try:
        code, message = error(people.partner.client("secretsmanager").get_secret_value, SecretId=shared)
        assert code == "AccessDeniedException"
        assert message.endswith("with an explicit deny in an identity-based policy")
    finally:
        people.put_policy(people.partner, "no-secrets", [
            {"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"}])


def test_through_the_local_endpoint(sm, people, shared, endpoint):
    sm.put_resource_policy(SecretId=shared, ResourcePolicy=allow_account(people.second_account))

    def client(member):
        return boto3.client("secretsmanager", endpoint_url=endpoint.url, region_name="us-east-1",
                            aws_access_key_id=member.credentials["AccessKeyId"],
                            aws_secret_access_key=member.credentials["SecretAccessKey"])

    assert client(people.partner).get_secret_value(SecretId=shared)["SecretString"] == "hunter2"
    code, _ = error(client(people.partner_no_iam).get_secret_value, SecretId=shared)
    assert code == "AccessDeniedException"


def test_owner_of():
    assert secrets_access.owner_of("arn:aws:secretsmanager:us-east-1:111122223333:secret:x-AbCdEf") == "111122223333"
    assert secrets_access.owner_of("xacct/db") is None
    assert secrets_access.owner_of(None) is None
