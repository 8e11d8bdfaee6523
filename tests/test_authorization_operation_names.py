"""Issue 15: an operation name that is not exactly a model name (TrentService.put_key_policy)
reaches no operation, so a Deny on kms:PutKeyPolicy cannot be bypassed by spelling.

Each case in tests/data/authz_operation_names.json is sent in-process and through the local
endpoint by a plain boto3 client whose X-Amz-Target (and query string) a hook rewrites after
botocore built the request and before it is signed: exactly what a hand-made request can do.
"""
from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from kmslab import sandbox
from kmslab.teach import cast, policies

CASES = json.loads((Path(__file__).parent / "data" / "authz_operation_names.json").read_text())["cases"]
MARKER = "kept by the original policy"


@pytest.fixture(scope="module")
def world():
    sb = sandbox.start()
    people = cast.build(sb)
    from kmslab.server import LocalEndpoint

    server = LocalEndpoint(seed=None)
    yield sb, people, server
    server.stop()
    sb.stop()


def _client(sb, member, server, where: str):
    if where == "inprocess":
        return member.client("kms")
    creds = member.credentials
    return boto3.client("kms", region_name=sb.region, endpoint_url=server.url,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds.get("SessionToken"))


def _rewrite(client, target: str, query: str | None):
    def hook(request, **_):
        del request.headers["X-Amz-Target"]  # headers add on assignment; replace it
        request.headers["X-Amz-Target"] = target
        if query:
            request.url += ("&" if "?" in request.url else "?") + query

    client.meta.events.register_first("before-sign.kms", hook)
    return client


def _params(case, key_arn: str, account: str) -> dict:
    op = case["operation"]
    if op == "PutKeyPolicy":
        takeover = policies.document(policies.statement("Allow", "*", "kms:*"))
        return {"KeyId": key_arn, "Policy": json.dumps(takeover), "BypassPolicyLockoutSafetyCheck": True}
    if op == "Encrypt":
        return {"KeyId": key_arn, "Plaintext": b"secret"}
    if op == "ScheduleKeyDeletion":
        return {"KeyId": key_arn, "PendingWindowInDays": 7}
    return {"KeyId": key_arn}


@pytest.mark.parametrize("where", ["inprocess", "endpoint"])
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_spelling_never_bypasses_a_deny(world, case, where):
    sb, people, server = world
    root = sb.client("kms")
    key_arn = root.create_key(Description=case["name"][:100])["KeyMetadata"]["Arn"]
    doc = policies.default_key_policy(sb.account_id)
    doc["Statement"][0]["Sid"] = MARKER
    doc["Statement"].append(policies.statement("Deny", people.admin.principal, case["denied"]))
    root.put_key_policy(KeyId=key_arn, Policy=json.dumps(doc), BypassPolicyLockoutSafetyCheck=True)
    state_before = root.describe_key(KeyId=key_arn)["KeyMetadata"]["KeyState"]

    admin = _rewrite(_client(sb, people.admin, server, where), case["target"], case.get("query"))
    method = "".join("_" + c.lower() if c.isupper() else c for c in case["operation"]).lstrip("_")
    with pytest.raises(ClientError) as err:
        getattr(admin, method)(**_params(case, key_arn, sb.account_id))
    assert err.value.response["Error"]["Code"] == case.get(f"expect_{where}", case["expect"]), err.value.response["Error"]
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    # nothing changed: the policy, the key state
    assert MARKER in root.get_key_policy(KeyId=key_arn)["Policy"]
    assert root.describe_key(KeyId=key_arn)["KeyMetadata"]["KeyState"] == state_before


def test_every_model_name_is_accepted_and_nothing_else(world):
    """The front door knows the 56 names of botocore's model; other spellings of each are refused."""
    from kmslab.service import front_door

    names = front_door.operations()
    assert len(names) == 56
    for name in names:
        assert front_door.operation_for(f"TrentService.{name}") == name
        snake = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
        for wrong in {name.lower(), name.upper(), snake} - {name}:
            with pytest.raises(Exception) as err:
                front_door.operation_for(f"TrentService.{wrong}")
            assert err.value.code == "UnknownOperationException"
