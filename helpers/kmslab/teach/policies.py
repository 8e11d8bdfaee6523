"""Key policy builders for lessons, in the shapes AWS documents.

    from kmslab.teach import policies
    doc = policies.console_default(account, key_admins=[admin_arn], key_users=[user_arn])
    kms.put_key_policy(KeyId=key_id, Policy=policies.to_json(doc))
"""
from __future__ import annotations

import json
from typing import Iterable

VERSION = "2012-10-17"

#: What the console's "key administrators" statement allows (sources: console-default-policy): no cryptography.
KEY_ADMIN_ACTIONS = ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                     "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                     "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
                     "kms:CancelKeyDeletion"]
#: What the console's "key users" statement allows (sources: console-default-policy).
KEY_USER_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                    "kms:DescribeKey"]
GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]


def account_root(account: str) -> str:
    """The account principal (sources: account-principal)."""
    return f"arn:aws:iam::{account}:root"


def enable_iam_statement(account: str) -> dict:
    return {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": account_root(account)}, "Action": "kms:*", "Resource": "*"}


def default_key_policy(account: str) -> dict:
    """The policy KMS attaches to a key created by the API without one (sources: default-key-policy)."""
    return {"Version": VERSION, "Id": "key-default-1", "Statement": [enable_iam_statement(account)]}


def console_default(account: str, key_admins: Iterable[str] = (), key_users: Iterable[str] = ()) -> dict:
    """The console's default policy with key administrators and key users (sources: console-default-policy)."""
    admins, users = list(key_admins), list(key_users)
    statements = [enable_iam_statement(account)]
    if admins:
        statements.append({"Sid": "Allow access for Key Administrators", "Effect": "Allow",
                           "Principal": {"AWS": admins}, "Action": KEY_ADMIN_ACTIONS, "Resource": "*"})
    if users:
        statements.append({"Sid": "Allow use of the key", "Effect": "Allow",
                           "Principal": {"AWS": users}, "Action": KEY_USER_ACTIONS, "Resource": "*"})
        statements.append({"Sid": "Allow attachment of persistent resources", "Effect": "Allow",
                           "Principal": {"AWS": users}, "Action": GRANT_ACTIONS, "Resource": "*",
                           "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}})
    return {"Version": VERSION, "Id": "key-consolepolicy-3", "Statement": statements}


def external_account_statement(external_account: str) -> dict:
    """Key policy side of cross-account use (sources: cross-account-access); the other account still
    needs an IAM policy."""
    return {"Sid": "Allow use of the key by another account", "Effect": "Allow",
            "Principal": {"AWS": account_root(external_account)},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                       "kms:DescribeKey"], "Resource": "*"}


def service_only(account: str, service: str, region: str) -> dict:
    """The shape of the aws/s3 and aws/ebs managed key policies (sources: aws-managed-key-policy): anyone in
    the account, but only through the service; the account itself may only look."""
    service_host = "ec2" if service == "ebs" else service
    return {"Version": VERSION, "Id": f"auto-{service}-2", "Statement": [
        {"Sid": f"Allow access through {service.upper()} for all principals in the account "
                f"that are authorized to use {service.upper()}",
         "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                    "kms:DescribeKey"] + (["kms:CreateGrant"] if service == "ebs" else []),
         "Resource": "*",
         "Condition": {"StringEquals": {"kms:CallerAccount": account,
                                        "kms:ViaService": f"{service_host}.{region}.amazonaws.com"}}},
        {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
         "Principal": {"AWS": account_root(account)},
         "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"], "Resource": "*"},
    ]}


def statement(effect: str, principals: str | list[str], actions: str | list[str],
              condition: dict | None = None, sid: str | None = None) -> dict:
    st = {"Effect": effect, "Principal": "*" if principals == "*" else {"AWS": principals},
          "Action": actions, "Resource": "*"}
    if sid:
        st = {"Sid": sid, **st}
    if condition:
        st["Condition"] = condition
    return st


def document(*statements: dict) -> dict:
    return {"Version": VERSION, "Statement": list(statements)}


def to_json(doc: dict) -> str:
    return json.dumps(doc, indent=2)
