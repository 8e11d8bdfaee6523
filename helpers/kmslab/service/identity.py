"""IDENTIFY: who is calling, from the request's access key, as AWS does.

- an IAM user's access key (AKIA...)      -> arn:aws:iam::ACCT:user/NAME
- assumed-role credentials (ASIA...)      -> arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
- credentials the sandbox does not know   -> the default account's root user, so any
  client works with no set-up (the fake "testing" keys every tool uses).
The root user is judged like any principal: it may use a key only if the key
policy allows the account principal (sources: explicit-permission-required, account-principal).
"""
from __future__ import annotations

from typing import Any

from . import dispatch
from .policy.document import load
from .policy.evaluate import Principal

DEFAULT_ACCOUNT = "123456789012"


def principal_for(access_key: str | None) -> Principal:
    """The principal an access key belongs to (the default account's root if unknown)."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    if access_key:
        for account_id, account in list(iam_backends.items()):
            iam = account["aws"]
            key = iam.access_keys.get(access_key)
            if key is None:
                continue
            if key.user_name:
                user = iam.users.get(key.user_name)
                path = user.path if user is not None else "/"
                return Principal(f"arn:aws:iam::{account_id}:user{path}{key.user_name}", account_id, "user")
            for session in sts_backends[account_id]["aws"].assumed_roles:
                if session.access_key_id == access_key:
                    role_name = session.role_arn.split("/")[-1]
                    return Principal(
                        f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session.session_name}",
                        account_id, "assumed-role", role_arn=session.role_arn)
    from moto.core import DEFAULT_ACCOUNT_ID

    return Principal(f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root", DEFAULT_ACCOUNT_ID, "root")


def iam_policies(principal: Principal) -> list[tuple[str, dict[str, Any]]]:
    """(label, document) for every identity-based policy of the principal.
    The root user has every IAM permission implicitly, so it gets one allow-all."""
    if principal.kind == "root":
        return [("root user (all IAM permissions)", {"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}]})]
    from moto.iam.models import iam_backends

    iam = iam_backends[principal.account]["aws"]
    found: list[tuple[str, Any]] = []
    try:
        if principal.kind == "user":
            name = principal.arn.rsplit("/", 1)[-1]
            for pname in iam.list_user_policies(name):
                found.append((f"user/{name} inline {pname}", iam.get_user_policy(name, pname)))
            found += _attached(iam.list_attached_user_policies(name)[0], f"user/{name}")
            for group in iam.get_groups_for_user(name):
                for pname in iam.list_group_policies(group.name):
                    found.append((f"group/{group.name} inline {pname}", iam.get_group_policy(group.name, pname)))
                found += _attached(iam.list_attached_group_policies(group.name)[0], f"group/{group.name}")
        else:
            name = principal.role_arn.rsplit("/", 1)[-1]
            for pname in iam.list_role_policies(name):
                found.append((f"role/{name} inline {pname}", iam.get_role_policy(name, pname)[1]))
            found += _attached(iam.list_attached_role_policies(name)[0], f"role/{name}")
    except Exception:  # a role assumed without existing in IAM has no policies
        pass
    return [(label, _document(doc)) for label, doc in found]


def _attached(policies, owner: str) -> list[tuple[str, Any]]:
    return [(f"{owner} managed {p.name}", p) for p in policies]


def _document(policy: Any) -> dict[str, Any]:
    if isinstance(policy, dict) and "policy_document" in policy:
        policy = policy["policy_document"]
    elif hasattr(policy, "versions"):
        policy = next(v.document for v in policy.versions if v.is_default)
    if isinstance(policy, str):
        from urllib.parse import unquote

        try:
            return load(policy)
        except ValueError:
            return load(unquote(policy))
    return policy


@dispatch.before(dispatch.IDENTIFY, "identify")
def identify(call: dispatch.KmsCall) -> None:
    if "principal" in call.notes:  # set by a caller of dispatch.invoke
        principal = call.notes["principal"]
    else:
        principal = principal_for(call.access_key)
        call.notes["principal"] = principal
    call.principal_arn = principal.arn
    # The caller's account is the principal's (moto derives the same from the key).
    call.account_id = principal.account
