"""Who signed the request (issue 15 §1, identity): the sandbox's own keys must be signed with their
secrets; made-up credentials keep meaning the default account's root. In-process, over HTTP,
and from the AWS CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3
import pytest

from kms_helpers import error_code
from kmslab.service import authentication


def test_a_known_key_id_with_the_wrong_secret_is_refused(world):
    """The attack: the outsider read key-user's access key id (CloudTrail shows it) and signs with
    any secret. Before, only the key id counted, so it acted as key-user."""
    sb, people = world
    arn = sb.client("kms").create_key()["KeyMetadata"]["Arn"]
    forged = sb.client("kms", access_key=people.key_user.credentials["AccessKeyId"], secret_key="guessed")
    code, message = error_code(forged.encrypt, KeyId=arn, Plaintext=b"x")
    assert code == "InvalidSignatureException"
    assert message == authentication.BAD_SIGNATURE
    iam = sb.client("iam", access_key=people.admin.credentials["AccessKeyId"], secret_key="guessed")
    assert error_code(iam.list_users)[0] == "SignatureDoesNotMatch"
    s3 = sb.client("s3", access_key=people.admin.credentials["AccessKeyId"], secret_key="guessed")
    assert error_code(s3.list_buckets)[0] == "SignatureDoesNotMatch"
    sts = sb.client("sts", access_key=people.admin.credentials["AccessKeyId"], secret_key="guessed")
    assert error_code(sts.get_caller_identity)[0] == "SignatureDoesNotMatch"


def test_the_right_secret_works_for_every_service(world):
    sb, people = world
    admin = people.admin
    assert admin.client("sts").get_caller_identity()["Arn"] == admin.arn
    admin.client("kms").list_keys()
    admin.client("iam").list_users()
    s3 = admin.client("s3")
    s3.create_bucket(Bucket="signed-by-admin")
    s3.put_object(Bucket="signed-by-admin", Key="a key/with spaces+plus é.txt", Body=b"x")   # encoded paths
    assert s3.get_object(Bucket="signed-by-admin", Key="a key/with spaces+plus é.txt")["Body"].read() == b"x"
    assert people.app.client("sts").get_caller_identity()["Arn"] == people.app.arn        # a session


def test_a_session_key_needs_its_own_token(world):
    sb, people = world
    creds = people.app.credentials
    no_token = sb.client("sts", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"])
    assert error_code(no_token.get_caller_identity)[0] == "InvalidClientTokenId"
    other_token = sb.client("kms", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                            session_token="not-the-token")
    assert error_code(other_token.list_keys) == ("UnrecognizedClientException", authentication.UNKNOWN_KEY)


def test_keys_the_sandbox_does_not_know(world):
    sb, people = world
    iam = sb.client("iam")
    iam.create_user(UserName="leaver")
    key = iam.create_access_key(UserName="leaver")["AccessKey"]
    leaver = sb.client("kms", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    iam.update_access_key(UserName="leaver", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert error_code(leaver.list_keys)[0] == "UnrecognizedClientException"      # an inactive key
    iam.delete_access_key(UserName="leaver", AccessKeyId=key["AccessKeyId"])
    assert error_code(leaver.list_keys)[0] == "UnrecognizedClientException"      # a deleted key
    # a key id forged for one of the sandbox's accounts (moto's encoding of the account)
    forged = people.admin.credentials["AccessKeyId"][:13] + "ZZZZZZZ"
    assert authentication.claims_a_sandbox_account(forged)
    assert error_code(sb.client("kms", access_key=forged, secret_key="x").list_keys)[0] == \
        "UnrecognizedClientException"


@pytest.mark.parametrize("access_key", ["testing", "AKIAIOSFODNN7EXAMPLE", "anything-at-all"])
def test_made_up_credentials_still_mean_the_default_root(world, access_key):
    sb, _ = world
    sts = sb.client("sts", access_key=access_key, secret_key="whatever")
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{sb.account_id}:root"
    sb.client("kms", access_key=access_key, secret_key="whatever").list_keys()


# -- the moto account header ---------------------------------------------------------------------------
def _with_headers(client, headers):
    def add(request, **_):
        for name, value in headers.items():
            request.headers[name] = value
    client.meta.events.register_first("before-sign.*.*", add)
    return client


def test_the_moto_account_header_is_refused(world):
    """The attack: a user with no permissions creates users in another account with x-moto-account-id."""
    sb, people = world
    outsider = _with_headers(people.outsider.client("iam"), {"x-moto-account-id": "999988887777"})
    assert error_code(outsider.create_user, UserName="planted")[0] == "AccessDenied"
    root = _with_headers(sb.client("kms"), {"x-moto-account-id": "999988887777"})
    assert error_code(root.create_key)[0] == "AccessDeniedException"
    forged = _with_headers(sb.client("iam"), {"x-moto-account-id": "999988887777",
                                              authentication.TOOLING_HEADER: "a-guess"})
    assert error_code(forged.create_user, UserName="planted")[0] == "AccessDenied"


def test_the_sandbox_tooling_may_act_in_another_account(world):
    sb, _ = world
    iam = _with_headers(sb.client("iam"), authentication.tooling_headers("999988887777"))
    arn = iam.create_user(UserName="made-by-tooling")["User"]["Arn"]
    assert arn == "arn:aws:iam::999988887777:user/made-by-tooling"


# -- over HTTP, and from the AWS CLI -----------------------------------------------------------------
def test_signatures_are_checked_over_http(world, endpoint):
    _, people = world

    def client(service, secret):
        return boto3.client(service, endpoint_url=endpoint.url, region_name="us-east-1",
                            aws_access_key_id=people.admin.credentials["AccessKeyId"], aws_secret_access_key=secret)

    client("kms", people.admin.credentials["SecretAccessKey"]).list_keys()
    assert error_code(client("kms", "guessed").list_keys)[0] == "InvalidSignatureException"
    assert error_code(client("iam", "guessed").list_users)[0] == "SignatureDoesNotMatch"


@pytest.mark.slow
def test_the_aws_cli_with_a_wrong_secret(world, endpoint):
    _, people = world
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=people.admin.credentials["AccessKeyId"], AWS_SECRET_ACCESS_KEY="guessed",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_ENDPOINT_URL=endpoint.url)
    run = subprocess.run([sys.executable, "-m", "awscli", "kms", "list-keys"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert run.returncode != 0 and "InvalidSignatureException" in run.stderr
    env["AWS_SECRET_ACCESS_KEY"] = people.admin.credentials["SecretAccessKey"]
    run = subprocess.run([sys.executable, "-m", "awscli", "kms", "list-keys"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "Keys" in json.loads(run.stdout)


SECRET_PROBE = """
from kmslab import sandbox
sb = sandbox.start()
iam = sb.client("iam")
iam.create_user(UserName="u")
key = iam.create_access_key(UserName="u")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
sb.stop()
"""


def test_secrets_cannot_be_computed_from_the_seed():
    """Same seed, same access key id (outputs repeat); the secret comes from the OS, not the seed."""
    runs = [subprocess.run([sys.executable, "-c", SECRET_PROBE], capture_output=True, text=True, timeout=120,
                           check=True).stdout.split() for _ in range(2)]
    assert runs[0][0] == runs[1][0]
    assert runs[0][1] != runs[1][1] and len(runs[0][1]) == 40
