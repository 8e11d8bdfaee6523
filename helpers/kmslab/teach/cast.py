"""A ready cast of principals for key-policy lessons, made through the sandbox's IAM and STS.

    from kmslab.teach import cast
    people = cast.build(sb)
    people.key_user.client("kms").encrypt(...)

Members (account A = the sandbox's default account, B = a second account):
- admin        IAM user in A with an allow-everything IAM policy (like AdministratorAccess)
- key_admin    IAM user in A with no IAM policy; key policies name it as key administrator
- key_user     IAM user in A with no IAM policy; key policies name it as key user
- app          role "app-role" in A, used through an assumed-role session "app"
- outsider     IAM user in A with no IAM policy, named nowhere
- partner      IAM user in B whose IAM policy allows using keys in A (the external side of
               a cross-account pair, sources: cross-account-access)
- partner_no_iam  IAM user in B with no IAM policy
Account B is reached as AWS Organizations does, by assuming its
OrganizationAccountAccessRole from account A.

`people.put_policy(people.app, "read-parameters", [statement, ...])` gives a member an inline
IAM policy in its own account (a user policy, or the role's policy for `app`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SECOND_ACCOUNT = "444455556666"
APP_ROLE = "app-role"


@dataclass
class Member:
    name: str
    arn: str                    # the caller's ARN, as error messages show it
    account: str
    principal: str              # what to write in a key policy (the role for a session)
    credentials: dict[str, str]
    _sandbox: Any = field(repr=False, default=None)

    def client(self, service: str = "kms", **kwargs):
        return self._sandbox.client(service, access_key=self.credentials["AccessKeyId"],
                                    secret_key=self.credentials["SecretAccessKey"],
                                    session_token=self.credentials.get("SessionToken"), **kwargs)


@dataclass
class Cast:
    account: str
    second_account: str
    members: dict[str, Member]
    _sandbox: Any = field(repr=False, default=None)

    def __getattr__(self, name: str) -> Member:
        try:
            return self.__dict__["members"][name]
        except KeyError:
            raise AttributeError(name) from None

    def table(self) -> str:
        return "\n".join(f"{m.name:<15} {m.arn}" for m in self.members.values())

    def put_policy(self, member: Member, policy_name: str, statements: list[dict]) -> dict:
        """Attach an inline IAM policy to `member`, in its own account; returns the document."""
        document = {"Version": "2012-10-17", "Statement": statements}
        iam = _iam_of(self._sandbox, self.account, member.account)
        if member.principal.split(":")[5].startswith("role/"):
            iam.put_role_policy(RoleName=member.principal.rsplit("/", 1)[1], PolicyName=policy_name,
                                PolicyDocument=json.dumps(document))
        else:
            iam.put_user_policy(UserName=member.arn.rsplit("/", 1)[1], PolicyName=policy_name,
                                PolicyDocument=json.dumps(document))
        return document


_ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _user(sb, iam, account: str, name: str, policy: dict | None = None) -> Member:
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    arn = f"arn:aws:iam::{account}:user/{name}"
    return Member(name, arn, account, arn, {"AccessKeyId": key["AccessKeyId"],
                                            "SecretAccessKey": key["SecretAccessKey"]}, sb)


def _iam_of(sb, account: str, target: str):
    """An IAM client in `target`: the sandbox's own in `account`, else through
    OrganizationAccountAccessRole, as AWS Organizations reaches a member account."""
    if target == account:
        return sb.client("iam")
    org = sb.client("sts").assume_role(RoleArn=f"arn:aws:iam::{target}:role/OrganizationAccountAccessRole",
                                       RoleSessionName="setup")["Credentials"]
    return sb.client("iam", access_key=org["AccessKeyId"], secret_key=org["SecretAccessKey"],
                     session_token=org["SessionToken"])


def build(sb, second_account: str = SECOND_ACCOUNT) -> Cast:
    """Create the cast in the sandbox `sb` (a kmslab Sandbox) and return it."""
    account = sb.account_id
    iam, sts = sb.client("iam"), sb.client("sts")
    members: dict[str, Member] = {}
    members["admin"] = _user(sb, iam, account, "admin", _ALLOW_ALL)
    members["key_admin"] = _user(sb, iam, account, "key-admin")
    members["key_user"] = _user(sb, iam, account, "key-user")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}
    role_arn = iam.create_role(RoleName=APP_ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="app")["Credentials"]
    members["app"] = Member("app", f"arn:aws:sts::{account}:assumed-role/{APP_ROLE}/app", account,
                            role_arn, creds, sb)
    members["outsider"] = _user(sb, iam, account, "outsider")

    iam_b = _iam_of(sb, account, second_account)
    use_keys_in_a = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
                   "kms:CreateGrant", "kms:ScheduleKeyDeletion"],
        "Resource": f"arn:aws:kms:*:{account}:key/*"}]}
    members["partner"] = _user(sb, iam_b, second_account, "partner", use_keys_in_a)
    members["partner_no_iam"] = _user(sb, iam_b, second_account, "partner-no-iam")
    return Cast(account, second_account, members, sb)
