"""Parse and check a policy document's shape (MalformedPolicyDocumentException cases).

Documents given as text are parsed and checked once per distinct text, since the same key
policy or IAM policy is read on every request it governs. The parsed document is shared by
every caller, so it is read-only. A changed policy is a new text: nothing needs forgetting.
"""
from __future__ import annotations

import functools
import json
from typing import Any

from .conditions import known_operator

VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                   "Resource", "NotResource", "Condition"}
#: Distinct policy texts remembered (a key policy is at most 32 KB).
CACHE_SIZE = 512


class MalformedPolicy(ValueError):
    """The document is not a policy KMS would accept; the message says why."""


def parse(text: str | dict, *, resource_policy: bool = True) -> dict[str, Any]:
    """Parse a policy and check its shape. Key policies need a Principal in each statement.
    A text is parsed once (the document returned is shared: do not change it)."""
    if isinstance(text, dict):
        return _check(text, resource_policy)
    if not isinstance(text, (str, bytes)):
        raise MalformedPolicy("The policy is not valid JSON.")
    return _parse_text(text, resource_policy)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _parse_text(text: str | bytes, resource_policy: bool) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError:
        raise MalformedPolicy("The policy is not valid JSON.") from None
    return _check(doc, resource_policy)


@functools.lru_cache(maxsize=CACHE_SIZE)
def load(text: str | bytes) -> Any:
    """`json.loads`, once per distinct text (the value returned is shared: do not change it)."""
    return json.loads(text)


def _check(doc: Any, resource_policy: bool) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise MalformedPolicy("The policy must be a JSON object.")
    if "Version" in doc and doc["Version"] not in VERSIONS:
        raise MalformedPolicy(f"The policy Version {doc['Version']!r} is not supported.")
    raw = doc.get("Statement")
    if raw is None or raw == []:
        raise MalformedPolicy("The policy has no Statement.")
    for st in statements(doc):
        _check_statement(st, resource_policy)
    return doc


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements of a parsed document, always as a list."""
    raw = doc.get("Statement", [])
    return [raw] if isinstance(raw, dict) else list(raw)


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _check_statement(st: Any, resource_policy: bool) -> None:
    if not isinstance(st, dict):
        raise MalformedPolicy("Each statement must be a JSON object.")
    unknown = set(st) - _STATEMENT_KEYS
    if unknown:
        raise MalformedPolicy(f"Unknown statement element {sorted(unknown)[0]!r}.")
    if st.get("Effect") not in ("Allow", "Deny"):
        raise MalformedPolicy("Effect must be Allow or Deny.")
    if ("Action" in st) == ("NotAction" in st):
        raise MalformedPolicy("A statement needs exactly one of Action or NotAction.")
    if ("Resource" in st) and ("NotResource" in st):
        raise MalformedPolicy("A statement cannot have both Resource and NotResource.")
    if "Resource" not in st and "NotResource" not in st:
        raise MalformedPolicy("A statement needs a Resource.")
    if resource_policy and ("Principal" in st) == ("NotPrincipal" in st):
        raise MalformedPolicy("A key policy statement needs exactly one of Principal or NotPrincipal.")
    if not resource_policy and ("Principal" in st or "NotPrincipal" in st):
        raise MalformedPolicy("An identity-based policy cannot name a Principal.")
    for name in ("Action", "NotAction", "Resource", "NotResource"):
        if name in st and not all(isinstance(v, str) for v in as_list(st[name])):
            raise MalformedPolicy(f"{name} must be a string or a list of strings.")
    for name in ("Principal", "NotPrincipal"):
        if name in st:
            _check_principal(st[name])
    cond = st.get("Condition", {})
    if not isinstance(cond, dict):
        raise MalformedPolicy("Condition must be a JSON object.")
    for operator, block in cond.items():
        if not known_operator(operator):
            raise MalformedPolicy(f"The condition operator {operator!r} is not supported.")
        if not isinstance(block, dict):
            raise MalformedPolicy(f"The {operator} condition must map keys to values.")


def _check_principal(value: Any) -> None:
    if value == "*":
        return
    if not isinstance(value, dict) or not value:
        raise MalformedPolicy('Principal must be "*" or an object such as {"AWS": [...]}.')
    for kind, names in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise MalformedPolicy(f"Unknown principal type {kind!r}.")
        for name in as_list(names):
            if not isinstance(name, str):
                raise MalformedPolicy("Principal values must be strings.")
            if kind == "AWS" and not (name == "*" or name.isdigit() and len(name) == 12
                                      or name.startswith("arn:aws:iam::")
                                      or name.startswith("arn:aws:sts::")):
                # AWS: "MalformedPolicyDocumentException: Policy contains a statement
                # with one or more invalid principals."
                raise MalformedPolicy("Policy contains a statement with one or more invalid principals.")
