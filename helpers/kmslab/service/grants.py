"""Grants: CreateGrant checks its operations and stamps the grant's creation time;
ListGrants shows AWS's fields; grant tokens must be real ones (sources: grants).

Whether a grant allows a request is decided in authorization.py (one place).
"""
from __future__ import annotations

from . import dispatch
from .. import clock
from .errors import KmsError

#: botocore's GrantOperation enum (the KMS API model).
GRANT_OPERATIONS = (
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
    "ReEncryptTo", "Sign", "Verify", "GetPublicKey", "CreateGrant", "RetireGrant", "DescribeKey",
    "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "VerifyMac",
    "DeriveSharedSecret",
)
MAX_GRANT_TOKENS = 10  # sources: grants


@dispatch.before(dispatch.AUTHORIZE - 1, "grant-tokens")
def check_grant_tokens(call: dispatch.KmsCall) -> None:
    """Tokens are checked before authorization: a token is what may authorize the call."""
    tokens = call.params.get("GrantTokens") or []
    if tokens:
        if len(tokens) > MAX_GRANT_TOKENS:
            raise KmsError("ValidationException",
                           "1 validation error detected: Value at 'grantTokens' failed to satisfy "
                           "constraint: Member must have length less than or equal to 10")
        known = _known_tokens()
        if any(t not in known for t in tokens):
            raise KmsError("InvalidGrantTokenException", "The grant token is not valid.")


@dispatch.before(dispatch.VALIDATE + 2, "grant-operations")
def check_grant_operations(call: dispatch.KmsCall) -> None:
    if call.operation == "CreateGrant":
        ops = call.params.get("Operations") or []
        bad = [o for o in ops if o not in GRANT_OPERATIONS]
        if not ops or bad:
            raise KmsError(
                "ValidationException",
                f"1 validation error detected: Value '[{', '.join(ops)}]' at 'operations' failed to "
                f"satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value "
                f"set: [{', '.join(GRANT_OPERATIONS)}]]")


def _known_tokens() -> set[str]:
    from moto.kms.models import kms_backends

    found = set()
    for account in list(kms_backends.values()):
        for backend in list(account.values()):
            for key in list(backend.keys.values()):
                found.update(g.token for g in key.grants.values())
    return found


@dispatch.operation("CreateGrant")
def create_grant(call: dispatch.KmsCall) -> dict:
    result = dispatch.moto_operation(call)
    key = _key(call)
    grant = key.grants.get(result.get("GrantId")) if key is not None else None
    if grant is not None:
        grant.kmslab_created_at = clock.current().time()
        grant.kmslab_issuing_account = call.account_id
    return result


@dispatch.operation("ListGrants")
def list_grants(call: dispatch.KmsCall) -> dict:
    result = dispatch.moto_operation(call)
    key = _key(call)
    grantee = call.params.get("GranteePrincipal")
    shown = []
    for item in result.get("Grants", []):
        if grantee and item.get("GranteePrincipal") != grantee:
            continue
        grant = key.grants.get(item["GrantId"]) if key is not None else None
        if key is not None:
            item["KeyId"] = key.arn
        if grant is not None and getattr(grant, "kmslab_created_at", None) is not None:
            item["CreationDate"] = grant.kmslab_created_at
            item["IssuingAccount"] = f"arn:aws:iam::{grant.kmslab_issuing_account}:root"
        for name in ("RetiringPrincipal", "Constraints", "Name"):
            if not item.get(name):
                item.pop(name, None)
        shown.append(item)
    result["Grants"], result["GrantCount"] = shown, len(shown)
    return result


def _key(call: dispatch.KmsCall):
    if call.notes.get("key") is not None:
        return call.notes["key"]
    from .authorization import _find_key

    return _find_key(call.params.get("KeyId"), call)
