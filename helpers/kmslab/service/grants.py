"""Grants: CreateGrant checks its request and stamps the grant's creation time;
ListGrants shows AWS's fields; grant tokens must be real ones
(https://docs.aws.amazon.com/kms/latest/developerguide/using-grant-token.html);
RetireGrant finds its grant by id or by token.

Whether a grant allows a request, and who may retire one, is decided in
authorization.py (one place).

Grant ids and tokens. AWS's grant ids are 64 hex characters and its tokens long opaque
strings (https://docs.aws.amazon.com/kms/latest/developerguide/create-grant-overview.html).
Here:
- a grant id is 256 bits from moto's seeded generator: notebooks print the same ids on
  every run. An id is not a secret (ListGrants shows it to anyone allowed
  kms:ListGrants), and RetireGrant and RevokeGrant by id are authorized, so knowing
  or guessing an id gives nothing;
- a grant token is HMAC-SHA512(process secret, grant id) after a version byte and the id.
  The secret is 32 random bytes made when this module is imported and never leaves the
  process, so no one outside it can compute a token, even knowing the seed; tokens
  differ between runs, and no lesson prints one.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Any

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

_TOKEN_SECRET = secrets.token_bytes(32)
_TOKEN_VERSION = b"\x01"


def _token_for(grant_id: str) -> str:
    mac = hmac.new(_TOKEN_SECRET, grant_id.encode(), hashlib.sha512).digest()
    return base64.urlsafe_b64encode(_TOKEN_VERSION + bytes.fromhex(grant_id) + mac).decode().rstrip("=")


def _install_ids() -> None:
    """moto's Grant gets an AWS-shaped id and an unguessable token (see the module docstring)."""
    from moto.kms.models import Grant
    from moto.moto_api._internal import mock_random

    from .patching import wrap

    @wrap(Grant, "__init__")
    def init(self, original, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        self.id = f"{mock_random.getrandbits(256):064x}"
        self.token = _token_for(self.id)


_install_ids()


# -- the request ----------------------------------------------------------------------------------
# Principals a grant may name (CreateGrant API: "AWS accounts, IAM users, IAM roles, federated
# users, and assumed role users", as ARNs; https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html).
_NAME = r"[\w+=,.@-]+"
_PRINCIPAL_ARN = re.compile(
    rf"arn:aws(?:-cn|-us-gov)?:(?:iam::\d{{12}}:(?:root|(?:user|role)/(?:{_NAME}/)*{_NAME})"
    rf"|sts::\d{{12}}:(?:assumed-role/{_NAME}/{_NAME}|federated-user/{_NAME}))")
# botocore's KMS model: PrincipalIdType and GrantNameType.
_PRINCIPAL_PATTERN = re.compile(r"[\w+=,.@:/-]+")
_NAME_PATTERN = re.compile(r"[a-zA-Z0-9:/_-]+")


def _not_a(member: str, kind: str) -> KmsError:
    # AWS JSON protocols answer a value of the wrong JSON type with SerializationException.
    return KmsError("SerializationException", f"The value at '{member}' must be {kind}.")


def _pattern_error(value: str, member: str, pattern: str) -> KmsError:
    return KmsError("ValidationException",
                    f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
                    f"constraint: Member must satisfy regular expression pattern: {pattern}")


def check_principal(value: Any, member: str) -> None:
    """A grantee or retiring principal must be the ARN of a real kind of principal."""
    if not isinstance(value, str):
        raise _not_a(member, "a string")
    if not 1 <= len(value) <= 256 or not _PRINCIPAL_PATTERN.fullmatch(value):
        raise _pattern_error(value, member, "^[\\w+=,.@:/-]+$")
    if not _PRINCIPAL_ARN.fullmatch(value):
        raise KmsError("InvalidArnException",
                       f"{value} is not a valid principal: use the ARN of an account (…:root), an IAM "
                       "user, an IAM role, an assumed-role session or a federated user.")


def clean_constraints(value: Any) -> dict[str, dict[str, str]] | None:
    """The Constraints member, checked; only the two encryption context constraints are kept."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _not_a("constraints", "an object")
    cleaned = {}
    for name in ("EncryptionContextSubset", "EncryptionContextEquals"):
        pairs = value.get(name)
        if pairs is None:
            continue
        if not isinstance(pairs, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in pairs.items()):
            raise _not_a(f"constraints.{name[0].lower()}{name[1:]}", "an object of strings")
        cleaned[name] = dict(pairs)
    return cleaned


@dispatch.before(dispatch.AUTHORIZE - 2, "grant-request")
def check_grant_request(call: dispatch.KmsCall) -> None:
    """CreateGrant's members are checked before anything reads them, so a malformed request
    can never store a grant that later breaks every request on the key."""
    if call.operation != "CreateGrant":
        return
    p = call.params
    check_principal(p.get("GranteePrincipal"), "granteePrincipal")
    if p.get("RetiringPrincipal") is not None:
        check_principal(p["RetiringPrincipal"], "retiringPrincipal")
    ops = p.get("Operations")
    if not isinstance(ops, list) or not all(isinstance(o, str) for o in ops):
        raise _not_a("operations", "a list of strings")
    name = p.get("Name")
    if name is not None:
        if not isinstance(name, str):
            raise _not_a("name", "a string")
        if not 1 <= len(name) <= 256 or not _NAME_PATTERN.fullmatch(name):
            raise _pattern_error(name, "name", "^[a-zA-Z0-9:/_-]+$")
    if "Constraints" in p:
        constraints = clean_constraints(p["Constraints"])
        if constraints is None:
            p.pop("Constraints")
        else:
            p["Constraints"] = constraints


def find(call: dispatch.KmsCall) -> tuple[Any, Any]:
    """(key, grant) that a RetireGrant request names: by token, else by key and grant id.
    Raises InvalidGrantTokenException or NotFoundException as AWS does."""
    token = call.params.get("GrantToken")
    if token is not None:
        if isinstance(token, str):
            for key in _all_keys():
                for grant in list(key.grants.values()):
                    if hmac.compare_digest(grant.token, token):
                        return key, grant
        raise KmsError("InvalidGrantTokenException", "The grant token is not valid.")
    key, grant_id = _key(call), call.params.get("GrantId")
    if key is None:
        raise KmsError("NotFoundException", "A grant is named by its token, or by a key and a grant id.")
    grant = key.grants.get(grant_id) if isinstance(grant_id, str) else None
    if grant is None:
        raise KmsError("NotFoundException", f"Grant ID {grant_id} not found")
    return key, grant


def _all_keys() -> list[Any]:
    from moto.kms.models import kms_backends

    return [key for account in list(kms_backends.values()) for backend in list(account.values())
            for key in list(backend.keys.values())]


@dispatch.before(dispatch.AUTHORIZE - 1, "grant-tokens")
def check_grant_tokens(call: dispatch.KmsCall) -> None:
    """Tokens are checked before authorization: a token is what may authorize the call."""
    tokens = call.params.get("GrantTokens") or []
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise _not_a("grantTokens", "a list of strings")
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
    return {g.token for key in _all_keys() for g in list(key.grants.values())}


@dispatch.operation("CreateGrant")
def create_grant(call: dispatch.KmsCall) -> dict:
    result = dispatch.moto_operation(call)
    key = _key(call)
    grant = key.grants.get(result.get("GrantId")) if key is not None else None
    if grant is not None:
        grant.kmslab_created_at = clock.current().time()
        grant.kmslab_issuing_account = call.account_id
    return result


@dispatch.operation("RetireGrant")
def retire_grant(call: dispatch.KmsCall) -> dict:
    """Delete the grant the authorization stage found (by id or token, in the key owner's account)."""
    key, grant = call.notes.get("grant") or find(call)
    key.grants.pop(grant.id, None)
    return {}


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
