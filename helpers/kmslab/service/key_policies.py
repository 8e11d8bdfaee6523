"""PutKeyPolicy, GetKeyPolicy and CreateKey's Policy: checked as KMS checks them.

- PolicyName left out means "default", the only name (sources: one-key-policy).
- The document must be a policy: MalformedPolicyDocumentException otherwise, including
  for principals that do not exist.
- At most 32 KB (sources: key-policy-size).
- The lockout safety check: the new policy must let the caller call PutKeyPolicy
  again, unless BypassPolicyLockoutSafetyCheck is set (sources: lockout-safety-check).
A key created without a policy gets moto's default, which is AWS's (sources: default-key-policy).
"""
from __future__ import annotations

from typing import Any

from . import dispatch
from .authorization import decide_action, principal_of
from .condition_keys import request_context
from .errors import KmsError
from .policy.document import MalformedPolicy, as_list, parse, statements

MAX_POLICY_BYTES = 32 * 1024  # sources: key-policy-size
LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."
_POLICY_OPERATIONS = ("PutKeyPolicy", "GetKeyPolicy", "CreateKey")


def malformed(message: str) -> KmsError:
    return KmsError("MalformedPolicyDocumentException", message)


def check_document(text: Any) -> dict:
    """Parse and check a key policy document; raise as KMS does."""
    if not isinstance(text, str):
        raise malformed("The policy is not valid JSON.")
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        # 32 KB is the key policy quota (sources: key-policy-size).
        raise KmsError("LimitExceededException",
                       f"The key policy is {len(text.encode('utf-8'))} bytes; the limit is "
                       f"{MAX_POLICY_BYTES} bytes.")
    try:
        doc = parse(text, resource_policy=True)
    except MalformedPolicy as exc:
        raise malformed(str(exc)) from None
    if not all(_principal_exists(name) for st in statements(doc)
               for name in _aws_principals(st)):
        raise malformed("Policy contains a statement with one or more invalid principals.")
    return doc


def _aws_principals(st: dict) -> list[str]:
    value = st.get("Principal", st.get("NotPrincipal"))
    return as_list(value.get("AWS")) if isinstance(value, dict) else []


def _principal_exists(name: str) -> bool:
    """AWS checks that named users and roles exist when a policy is saved."""
    from moto.iam.models import iam_backends

    if name == "*" or name.isdigit() or name.endswith(":root") or ":sts::" in name:
        return True
    parts = name.split(":", 5)
    if len(parts) != 6 or "/" not in parts[5]:
        return False
    account, (kind, _, rest) = parts[4], parts[5].partition("/")
    if account not in iam_backends:  # an account the sandbox has never seen: trust the name
        return True
    iam = iam_backends[account]["aws"]
    short = rest.rsplit("/", 1)[-1]
    if kind == "user":
        return short in iam.users
    if kind == "role":
        return any(r.name == short for r in iam.roles.values())
    return True


@dispatch.before(dispatch.VALIDATE + 1, "key-policy")
def key_policy_stage(call: dispatch.KmsCall) -> None:
    if call.operation not in _POLICY_OPERATIONS:
        return
    if call.operation != "CreateKey":
        call.params.setdefault("PolicyName", "default")
    if call.operation == "GetKeyPolicy":
        return
    if call.operation == "CreateKey" and call.params.get("Policy") is None:
        return  # moto attaches the default key policy (sources: default-key-policy)
    doc = check_document(call.params.get("Policy"))
    if not call.params.get("BypassPolicyLockoutSafetyCheck"):
        _lockout_check(call, doc)


def _lockout_check(call: dispatch.KmsCall, doc: dict) -> None:
    """Would the caller still be allowed kms:PutKeyPolicy under the new policy?"""
    principal = principal_of(call)
    key = call.notes.get("key") or _key_of(call)
    if key is None:  # CreateKey: judge against the key-to-be
        key = _FutureKey(call)
    context = request_context(call, "kms:PutKeyPolicy", principal, key)
    decision = decide_action(principal, "kms:PutKeyPolicy", key, context, key_policy=doc, use_grants=False)
    if not decision.allowed:
        raise malformed(LOCKOUT_MESSAGE)


def _key_of(call: dispatch.KmsCall) -> Any:
    from .authorization import _find_key

    return _find_key(call.params.get("KeyId"), call) if call.operation == "PutKeyPolicy" else None


class _FutureKey:
    """Stands for the key CreateKey is about to make, for the lockout check."""

    def __init__(self, call: dispatch.KmsCall):
        self.account_id = call.account_id
        self.arn = f"arn:aws:kms:{call.region}:{call.account_id}:key/new-key"
        self.key_spec = call.params.get("KeySpec") or "SYMMETRIC_DEFAULT"
        self.key_usage = call.params.get("KeyUsage") or "ENCRYPT_DECRYPT"
        self.origin = call.params.get("Origin") or "AWS_KMS"
        self.multi_region = bool(call.params.get("MultiRegion"))
        self.grants: dict = {}
        self.policy = "{}"
