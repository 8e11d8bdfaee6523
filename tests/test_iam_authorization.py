"""IAM, STS and CloudTrail calls are authorized as AWS does (issue 15 §1): the attacks first."""
from __future__ import annotations

import json

import boto3
import pytest

from kms_helpers import error_code
from kmslab.teach import cast, policies


def iam_policy(effect, actions, resource="*"):
    """An identity-based policy (no Principal: the user it is attached to is the principal)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": effect, "Action": actions, "Resource": resource}]})


ALLOW_ALL = iam_policy("Allow", "*")


# -- IAM ------------------------------------------------------------------------------------------------
def test_a_user_without_permissions_cannot_make_itself_administrator(world):
    sb, people = world
    iam = people.outsider.client("iam")
    code, message = error_code(iam.put_user_policy, UserName="outsider", PolicyName="mine", PolicyDocument=ALLOW_ALL)
    assert code == "AccessDenied"
    assert message == (f"User: {people.outsider.arn} is not authorized to perform: iam:PutUserPolicy on resource: "
                       f"{people.outsider.arn} because no identity-based policy allows the iam:PutUserPolicy action")
    assert sb.client("iam").list_user_policies(UserName="outsider")["PolicyNames"] == []
    assert error_code(people.outsider.client("kms").create_key)[0] == "AccessDeniedException"


def test_a_user_cannot_make_access_keys_for_another_user(world):
    sb, people = world
    assert error_code(people.outsider.client("iam").create_access_key, UserName="key-user")[0] == "AccessDenied"
    assert error_code(people.outsider.client("iam").create_access_key)[0] == "AccessDenied"   # itself, implied
    keys = sb.client("iam").list_access_keys(UserName="key-user")["AccessKeyMetadata"]
    assert len(keys) == 1
    made = people.admin.client("iam").create_access_key(UserName="key-user")["AccessKey"]   # an administrator may
    sb.client("iam").delete_access_key(UserName="key-user", AccessKeyId=made["AccessKeyId"])


def test_policies_can_scope_iam_actions_to_the_caller(world):
    sb, _ = world
    iam = sb.client("iam")
    iam.create_user(UserName="self-service")
    own = f"arn:aws:iam::{sb.account_id}:user/self-service"
    iam.put_user_policy(UserName="self-service", PolicyName="own-keys", PolicyDocument=iam_policy(
        "Allow", ["iam:CreateAccessKey", "iam:ListAccessKeys"], own))
    key = iam.create_access_key(UserName="self-service")["AccessKey"]
    me = sb.client("iam", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert me.list_access_keys()["AccessKeyMetadata"]
    assert error_code(me.list_access_keys, UserName="admin")[0] == "AccessDenied"
    assert error_code(me.create_user, UserName="another")[0] == "AccessDenied"


def test_an_iam_deny_wins(world):
    sb, _ = world
    iam = sb.client("iam")
    iam.create_user(UserName="almost-admin")
    iam.put_user_policy(UserName="almost-admin", PolicyName="all", PolicyDocument=ALLOW_ALL)
    iam.put_user_policy(UserName="almost-admin", PolicyName="but", PolicyDocument=iam_policy(
        "Deny", "iam:CreateUser"))
    key = iam.create_access_key(UserName="almost-admin")["AccessKey"]
    user = sb.client("iam", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    code, message = error_code(user.create_user, UserName="nope")
    assert code == "AccessDenied" and message.endswith("with an explicit deny in an identity-based policy")
    user.list_users()


# -- STS ------------------------------------------------------------------------------------------------
def test_assume_role_follows_the_trust_policy(world):
    sb, people = world
    role = f"arn:aws:iam::{sb.account_id}:role/{cast.APP_ROLE}"        # trusts the account (delegates to IAM)
    assert error_code(people.outsider.client("sts").assume_role, RoleArn=role, RoleSessionName="xx")[0] == \
        "AccessDenied"
    people.admin.client("sts").assume_role(RoleArn=role, RoleSessionName="admin")     # IAM allows it
    missing = f"arn:aws:iam::{sb.account_id}:role/no-such-role"
    assert error_code(sb.client("sts").assume_role, RoleArn=missing, RoleSessionName="xx")[0] == "AccessDenied"


def test_a_role_whose_trust_policy_names_the_user(world):
    sb, people = world
    trust = policies.document(policies.statement("Allow", people.key_user.principal, "sts:AssumeRole"))
    trust["Statement"][0].pop("Resource", None)
    sb.client("iam").create_role(RoleName="for-key-user", AssumeRolePolicyDocument=json.dumps(trust))
    arn = f"arn:aws:iam::{sb.account_id}:role/for-key-user"
    people.key_user.client("sts").assume_role(RoleArn=arn, RoleSessionName="ok")      # named: no IAM needed
    assert error_code(people.outsider.client("sts").assume_role, RoleArn=arn, RoleSessionName="xx")[0] == \
        "AccessDenied"


def test_only_the_management_account_reaches_a_member_account(world):
    sb, people = world
    org_role = f"arn:aws:iam::{people.second_account}:role/OrganizationAccountAccessRole"
    assert error_code(people.outsider.client("sts").assume_role, RoleArn=org_role, RoleSessionName="xx")[0] == \
        "AccessDenied"
    assert error_code(people.partner_no_iam.client("sts").assume_role, RoleArn=org_role,
                    RoleSessionName="xx")[0] == "AccessDenied"
    sb.client("sts").assume_role(RoleArn=org_role, RoleSessionName="setup")


def test_web_identity_needs_a_federated_trust(world):
    sb, _ = world
    role = f"arn:aws:iam::{sb.account_id}:role/{cast.APP_ROLE}"
    sts = boto3.client("sts", region_name="us-east-1")
    assert error_code(sts.assume_role_with_web_identity, RoleArn=role, RoleSessionName="xx",
                    WebIdentityToken="x" * 10)[0] == "AccessDenied"


def test_made_up_credentials_are_the_root_user(world):
    sb, _ = world
    identity = sb.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{sb.account_id}:root"
    assert identity["Account"] == sb.account_id


# -- CloudTrail -----------------------------------------------------------------------------------------
def test_lookup_events_needs_permission(world):
    """The attack: anyone read every caller's key ids and encryption contexts."""
    sb, people = world
    sb.client("kms").create_key(Description="secret project")
    code, message = error_code(people.outsider.client("cloudtrail").lookup_events)
    assert code == "AccessDeniedException"
    assert message == (f"User: {people.outsider.arn} is not authorized to perform: cloudtrail:LookupEvents "
                       "because no identity-based policy allows the cloudtrail:LookupEvents action")
    assert people.admin.client("cloudtrail").lookup_events()["Events"]
    assert sb.client("cloudtrail").lookup_events()["Events"]


# -- over HTTP -----------------------------------------------------------------------------------------------
def test_iam_is_authorized_over_http(world, endpoint):
    _, people = world
    creds = people.outsider.credentials
    iam = boto3.client("iam", endpoint_url=endpoint.url, region_name="us-east-1",
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"])
    assert error_code(iam.put_user_policy, UserName="outsider", PolicyName="mine",
                    PolicyDocument=ALLOW_ALL)[0] == "AccessDenied"
    ct = boto3.client("cloudtrail", endpoint_url=endpoint.url, region_name="us-east-1",
                      aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"])
    assert error_code(ct.lookup_events)[0] == "AccessDeniedException"
