"""Match the statements of one policy against one request.

This module answers "which statements of this document apply to this request,
and how?". How KMS combines key policy, IAM policies and grants into a decision
is in kmslab.service.authorization.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import conditions, match
from .document import as_list, statements


@dataclass
class Principal:
    """Who is calling. `arn` is what error messages show."""

    arn: str
    account: str
    kind: str                   # "root" | "user" | "assumed-role"
    role_arn: str | None = None  # for an assumed-role session: the role's ARN

    @property
    def account_principal(self) -> str:
        return f"arn:aws:iam::{self.account}:root"

    @property
    def principal_arn(self) -> str:
        """The value of aws:PrincipalArn: the role (not the session) for assumed roles."""
        return self.role_arn or self.arn


@dataclass
class Request:
    principal: Principal
    action: str                 # "kms:Decrypt"
    resource: str               # key ARN, or "*" for operations without a key
    context: conditions.Context = field(default_factory=conditions.Context)


@dataclass
class StatementMatch:
    """A statement whose Action, Resource and Principal cover the request."""

    source: str                 # "key policy", "IAM policy user/bob:inline-name", ...
    index: int
    sid: str | None
    effect: str
    #: "direct" (names the caller, or "*"), or "account" (names the caller's account
    #: principal, which lets the account delegate to IAM), or "" for IAM policies
    principal_how: str
    conditions: list[conditions.ConditionResult]

    @property
    def applies(self) -> bool:
        return all(c.holds for c in self.conditions)

    def describe(self) -> str:
        label = f"{self.source} statement {self.index}" + (f" ({self.sid!r})" if self.sid else "")
        how = {"direct": ", names the caller", "account": ", names the caller's account (delegates to IAM)",
               "": ""}[self.principal_how]
        cond = "" if not self.conditions else (
            "; conditions " + ("hold" if self.applies else "do not hold"))
        return f"{label}: {self.effect}{how}{cond}"


def evaluate(doc: dict[str, Any], request: Request, source: str,
             resource_policy: bool) -> list[StatementMatch]:
    """The statements of `doc` whose action, resource and principal cover `request`.
    Each carries its condition results; `applies` says whether they all hold."""
    found = []
    for index, st in enumerate(statements(doc)):
        if not _action_matches(st, request.action):
            continue
        if not _resource_matches(st, request.resource):
            continue
        how = ""
        if resource_policy:
            how = principal_match(st, request.principal)
            if how is None:
                continue
        results = conditions.evaluate(st.get("Condition", {}), request.context)
        found.append(StatementMatch(source, index, st.get("Sid"), st["Effect"], how, results))
    return found


def _action_matches(st: dict, action: str) -> bool:
    if "Action" in st:
        return any(match.action(p, action) for p in as_list(st["Action"]))
    return not any(match.action(p, action) for p in as_list(st["NotAction"]))


def _resource_matches(st: dict, resource: str) -> bool:
    if "Resource" in st:
        return any(match.resource(p, resource) for p in as_list(st["Resource"]))
    return not any(match.resource(p, resource) for p in as_list(st["NotResource"]))


def principal_match(st: dict, principal: Principal) -> str | None:
    """How a key policy statement's Principal covers the caller: "direct", "account", or None."""
    if "Principal" in st:
        return _names(st["Principal"], principal)
    # NotPrincipal: the statement covers everyone not listed.
    return None if _names(st["NotPrincipal"], principal) else "direct"


def _names(value: Any, principal: Principal) -> str | None:
    if value == "*":
        return "direct"
    best = None
    for name in as_list(value.get("AWS")) if isinstance(value, dict) else []:
        how = names_principal(name, principal)
        if how == "direct":
            return how
        best = best or how
    return best


def names_principal(name: str, principal: Principal) -> str | None:
    """Does one principal entry (from a policy or a grant) name this caller?"""
    if not isinstance(name, str):  # e.g. a grant made with GranteeServicePrincipal only names no caller
        return None
    if name == "*":
        return "direct"
    if name.isdigit():
        name = f"arn:aws:iam::{name}:root"
    if name == principal.account_principal:
        # The account principal is the root user itself, and delegation for everyone else (sources: account-principal).
        return "direct" if principal.kind == "root" else "account"
    if name == principal.arn:
        return "direct"
    if principal.role_arn and _same_role(name, principal.role_arn):
        return "direct"
    return None


def _same_role(name: str, role_arn: str) -> bool:
    # Role ARNs may carry a path ("role/team/app"); the session names only the role.
    return name == role_arn
