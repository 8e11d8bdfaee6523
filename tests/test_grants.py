"""Grants under attack (issue 15 §1, issue 14 §3): who may retire a grant, what a grant-derived
CreateGrant may give, which grantees are valid, and grant ids and tokens that cannot be guessed.

AWS: Retiring and revoking grants, https://docs.aws.amazon.com/kms/latest/developerguide/grant-delete.html;
Granting CreateGrant permission,
https://docs.aws.amazon.com/kms/latest/developerguide/create-grant-overview.html#grant-creategrant.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request

import pytest
from botocore.exceptions import ClientError

from kms_helpers import error_code


def code(call, **kwargs):
    return error_code(call, **kwargs)[0]


def new_key(sb):
    return sb.client("kms").create_key(Description="grant test")["KeyMetadata"]["Arn"]


# -- RetireGrant: decided by the grant ------------------------------------------------------------
def test_a_grant_token_alone_does_not_let_anyone_retire_the_grant(world):
    sb, people = world
    arn = new_key(sb)
    grant = sb.client("kms").create_grant(KeyId=arn, GranteePrincipal=people.app.principal,
                                          Operations=["Decrypt"], RetiringPrincipal=people.key_user.principal)
    assert code(people.outsider.client("kms").retire_grant, GrantToken=grant["GrantToken"]) == \
        "AccessDeniedException"
    assert len(sb.client("kms").list_grants(KeyId=arn)["Grants"]) == 1
    people.key_user.client("kms").retire_grant(GrantToken=grant["GrantToken"])   # the retiring principal
    assert sb.client("kms").list_grants(KeyId=arn)["Grants"] == []


def test_who_may_retire_a_grant(world):
    sb, people = world
    kms = sb.client("kms")
    arn = new_key(sb)

    def grant(**extra):
        return kms.create_grant(KeyId=arn, GranteePrincipal=people.app.principal, **extra)["GrantId"]

    plain = grant(Operations=["Decrypt"])
    assert code(people.app.client("kms").retire_grant, KeyId=arn, GrantId=plain) == "AccessDeniedException"
    # the grantee, when the grant includes RetireGrant
    own = grant(Operations=["Decrypt", "RetireGrant"])
    people.app.client("kms").retire_grant(KeyId=arn, GrantId=own)
    # the key's account (its root user)
    kms.retire_grant(KeyId=arn, GrantId=grant(Operations=["Decrypt"]))
    # a principal of the key's account whom IAM allows kms:RetireGrant
    people.admin.client("kms").retire_grant(KeyId=arn, GrantId=grant(Operations=["Decrypt"]))
    # ... and no one else
    assert code(people.key_user.client("kms").retire_grant, KeyId=arn, GrantId=plain) == "AccessDeniedException"
    assert code(people.partner.client("kms").retire_grant, KeyId=arn, GrantId=plain) == "AccessDeniedException"


def test_an_iam_deny_on_retire_grant_wins(world):
    sb, people = world
    arn = new_key(sb)
    iam = sb.client("iam")
    iam.create_user(UserName="no-retire")
    iam.put_user_policy(UserName="no-retire", PolicyName="deny", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:RetireGrant", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="no-retire")["AccessKey"]
    gid = sb.client("kms").create_grant(KeyId=arn, GranteePrincipal=people.app.principal, Operations=["Decrypt"],
                                        RetiringPrincipal=f"arn:aws:iam::{sb.account_id}:user/no-retire")["GrantId"]
    denied = sb.client("kms", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert code(denied.retire_grant, KeyId=arn, GrantId=gid) == "AccessDeniedException"


def test_retiring_an_unknown_grant(world):
    sb, _ = world
    kms = sb.client("kms")
    arn = new_key(sb)
    assert code(kms.retire_grant, KeyId=arn, GrantId="0" * 64) == "NotFoundException"
    assert code(kms.retire_grant, GrantToken="not-a-token") == "InvalidGrantTokenException"


# -- CreateGrant through a grant: equally strict or stricter --------------------------------------------
def test_a_grant_with_only_create_grant_cannot_give_more(world):
    sb, people = world
    kms = sb.client("kms")
    arn = new_key(sb)
    parent = kms.create_grant(KeyId=arn, GranteePrincipal=people.outsider.principal, Operations=["CreateGrant"])
    outsider = people.outsider.client("kms")
    tokens = [parent["GrantToken"]]
    # the attack: grant itself Encrypt and Decrypt
    assert code(outsider.create_grant, KeyId=arn, GranteePrincipal=people.outsider.principal,
                Operations=["Encrypt", "Decrypt"], GrantTokens=tokens) == "AccessDeniedException"
    assert len(kms.list_grants(KeyId=arn)["Grants"]) == 1
    # a subset of what it holds is fine
    outsider.create_grant(KeyId=arn, GranteePrincipal=people.app.principal, Operations=["CreateGrant"],
                          GrantTokens=tokens)


def test_child_grants_are_equally_or_more_restrictive(world):
    sb, people = world
    kms = sb.client("kms")
    arn = new_key(sb)
    parent = kms.create_grant(KeyId=arn, GranteePrincipal=people.outsider.principal,
                              Operations=["GenerateDataKey", "Decrypt", "CreateGrant"],
                              Constraints={"EncryptionContextSubset": {"Department": "IT"}})
    outsider, tokens = people.outsider.client("kms"), [parent["GrantToken"]]

    def child(operations, constraints=None):
        extra = {"Constraints": constraints} if constraints is not None else {}
        try:
            outsider.create_grant(KeyId=arn, GranteePrincipal=people.app.principal, Operations=operations,
                                  GrantTokens=tokens, **extra)
            return "ok"
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    subset = {"EncryptionContextSubset": {"Department": "IT"}}
    assert child(["Decrypt"], subset) == "ok"
    assert child(["Decrypt"], {"EncryptionContextSubset": {"Department": "IT", "Project": "x"}}) == "ok"
    assert child(["Decrypt"], {"EncryptionContextEquals": {"Department": "IT"}}) == "ok"
    assert child(["Decrypt"]) == "AccessDeniedException"                                     # constraint dropped
    assert child(["Decrypt"], {"EncryptionContextSubset": {"Project": "x"}}) == "AccessDeniedException"
    assert child(["Decrypt"], {"EncryptionContextSubset": {"Department": "HR"}}) == "AccessDeniedException"
    assert child(["Decrypt", "Encrypt"], subset) == "AccessDeniedException"                  # operation added
    # Equals cannot become Subset
    equals = kms.create_grant(KeyId=arn, GranteePrincipal=people.key_admin.principal,
                              Operations=["Decrypt", "CreateGrant"],
                              Constraints={"EncryptionContextEquals": {"Department": "IT"}})
    admin = people.key_admin.client("kms")
    with pytest.raises(ClientError):
        admin.create_grant(KeyId=arn, GranteePrincipal=people.app.principal, Operations=["Decrypt"],
                           Constraints=subset, GrantTokens=[equals["GrantToken"]])
    admin.create_grant(KeyId=arn, GranteePrincipal=people.app.principal, Operations=["Decrypt"],
                       Constraints={"EncryptionContextEquals": {"Department": "IT"}},
                       GrantTokens=[equals["GrantToken"]])


def test_a_policy_create_grant_is_not_limited(world):
    sb, people = world
    arn = new_key(sb)   # default policy: the admin's IAM policy allows kms:* (CreateGrant included)
    people.admin.client("kms").create_grant(KeyId=arn, GranteePrincipal=people.app.principal,
                                            Operations=["Encrypt", "Decrypt", "CreateGrant"])


# -- grantee and retiring principals ------------------------------------------------------------------------
@pytest.mark.parametrize("grantee, expected", [
    ("*", "ValidationException"),
    ("bob", "InvalidArnException"),
    ("arn:aws:s3:::bucket", "InvalidArnException"),
    ("arn:aws:iam::12345:user/bob", "InvalidArnException"),
    ("arn:aws:iam::123456789012:group/admins", "InvalidArnException"),
])
def test_invalid_grantee_principals_are_refused(world, grantee, expected):
    sb, _ = world
    kms = sb.client("kms")
    arn = new_key(sb)
    assert code(kms.create_grant, KeyId=arn, GranteePrincipal=grantee, Operations=["Decrypt"]) == expected
    assert code(kms.create_grant, KeyId=arn, GranteePrincipal=f"arn:aws:iam::{sb.account_id}:root",
                RetiringPrincipal=grantee, Operations=["Decrypt"]) == expected
    assert kms.list_grants(KeyId=arn)["Grants"] == []


def test_a_star_grantee_never_lets_another_account_decrypt(world):
    sb, people = world
    kms = sb.client("kms")
    arn = new_key(sb)
    blob = kms.encrypt(KeyId=arn, Plaintext=b"secret")["CiphertextBlob"]
    with pytest.raises(ClientError):
        kms.create_grant(KeyId=arn, GranteePrincipal="*", Operations=["Decrypt"])
    sb.clock.advance(60)
    assert code(people.partner_no_iam.client("kms").decrypt, CiphertextBlob=blob, KeyId=arn) == \
        "AccessDeniedException"


@pytest.mark.parametrize("body", [
    {"GranteePrincipal": 5, "Operations": ["Decrypt"]},
    {"GranteePrincipal": ["arn:aws:iam::123456789012:root"], "Operations": ["Decrypt"]},
    {"GranteePrincipal": "arn:aws:iam::123456789012:root", "Operations": "Decrypt"},
    {"GranteePrincipal": "arn:aws:iam::123456789012:root", "Operations": [["Decrypt"]]},
    {"GranteePrincipal": "arn:aws:iam::123456789012:root", "Operations": ["Decrypt"], "Constraints": ["x"]},
    {"GranteePrincipal": "arn:aws:iam::123456789012:root", "Operations": ["Decrypt"],
     "Constraints": {"EncryptionContextSubset": ["x"]}},
    {"GranteePrincipal": "arn:aws:iam::123456789012:root", "Operations": ["Decrypt"],
     "Constraints": {"EncryptionContextEquals": {"a": 1}}},
    {"GranteePrincipal": "arn:aws:iam::123456789012:root", "Operations": ["Decrypt"], "RetiringPrincipal": {}},
    {"GranteePrincipal": "arn:aws:iam::123456789012:root", "Operations": ["Decrypt"], "Name": 7},
])
def test_a_malformed_create_grant_never_breaks_the_key(sb, endpoint, body):
    """Sent raw (no SDK validation): the answer is a 4xx, and the key keeps working."""
    kms = sb.client("kms")
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    status, answer = raw_kms(endpoint.url, "CreateGrant", {"KeyId": arn, **body})
    assert 400 <= status < 500, answer
    assert answer["__type"] in ("ValidationException", "SerializationException", "InvalidArnException")
    sb.clock.advance(60)
    assert raw_kms(endpoint.url, "Encrypt", {"KeyId": arn, "Plaintext": "eA=="})[0] == 200
    assert raw_kms(endpoint.url, "ListGrants", {"KeyId": arn})[0] == 200
    kms.describe_key(KeyId=arn)


def raw_kms(url: str, operation: str, body: dict) -> tuple[int, dict]:
    """A KMS request with any JSON body, signed with the fake credentials (what the SDK would send)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=url + "/", data=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"TrentService.{operation}"})
    SigV4Auth(Credentials("testing", "testing"), "kms", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(url + "/", data=request.body, method="POST", headers=dict(request.headers))
    try:
        with urllib.request.urlopen(prepared, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


# -- grant ids and tokens ------------------------------------------------------------------------------
def test_grant_ids_and_tokens_are_aws_shaped_and_long(world):
    sb, people = world
    kms = sb.client("kms")
    arn = new_key(sb)
    grant = kms.create_grant(KeyId=arn, GranteePrincipal=people.app.principal, Operations=["Decrypt"])
    assert re.fullmatch(r"[0-9a-f]{64}", grant["GrantId"])           # like AWS's examples
    assert len(grant["GrantToken"]) >= 100 and re.fullmatch(r"[A-Za-z0-9_-]+", grant["GrantToken"])
    other = kms.create_grant(KeyId=arn, GranteePrincipal=people.app.principal, Operations=["Encrypt"])
    assert other["GrantId"] != grant["GrantId"] and other["GrantToken"] != grant["GrantToken"]


PROBE = """
from kmslab import sandbox
sb = sandbox.start()
kms = sb.client("kms")
arn = kms.create_key()["KeyMetadata"]["Arn"]
g = kms.create_grant(KeyId=arn, GranteePrincipal="arn:aws:iam::123456789012:root", Operations=["Decrypt"])
print(g["GrantId"], g["GrantToken"])
sb.stop()
"""


def test_ids_repeat_with_the_seed_but_tokens_cannot_be_guessed():
    """Two runs with the same seed (two notebooks, say) give the same grant ids, so outputs are
    reproducible; the tokens differ, because they come from a secret of each process."""
    runs = [subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120,
                           check=True).stdout.split() for _ in range(2)]
    assert runs[0][0] == runs[1][0]
    assert runs[0][1] != runs[1][1]
