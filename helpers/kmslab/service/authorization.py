"""AUTHORIZE: may this principal do this to this key? Decided as KMS does (sources: access, key-policy-and-iam).

- The key policy is primary. A statement naming the caller (or "*") allows by itself;
  a statement naming the caller's account principal (arn:aws:iam::ACCT:root) lets
  IAM policies in that account allow (sources: explicit-permission-required, account-principal, key-policy-and-iam).
- An explicit Deny in the key policy or in an IAM policy wins over every Allow.
- Grants allow their operations to their grantee (sources: grants).
- Cross-account: the key policy must allow the caller (or its account) AND an IAM
  policy in the caller's account must allow; only the operations of sources: cross-account-access.
- Operations without a key (CreateKey, ListKeys, ...) are judged by IAM policies alone.

`decide(call)` returns a Decision with the trace of every statement and grant it
looked at; the stage raises AccessDeniedException from that same Decision, and
`explain` prints it. There is one code path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import clock
from . import dispatch
from .condition_keys import IAM_POLICY_ONLY, request_context
from .errors import KmsError
from .identity import iam_policies, identify
from .policy import conditions
from .policy.document import MalformedPolicy, parse
from .policy.evaluate import Principal, Request, StatementMatch, evaluate, names_principal

#: Operations that name no key: only IAM policies can allow them.
NO_KEY_OPERATIONS = frozenset({
    "CreateKey", "ListKeys", "ListAliases", "GenerateRandom", "ListRetirableGrants",
    "CreateCustomKeyStore", "DescribeCustomKeyStores", "ConnectCustomKeyStore",
    "DisconnectCustomKeyStore", "UpdateCustomKeyStore", "DeleteCustomKeyStore",
})

#: What works across accounts (sources: cross-account-access): cryptographic operations plus these.
CROSS_ACCOUNT_OPERATIONS = frozenset({
    "Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify", "GenerateMac", "VerifyMac",
    "DeriveSharedSecret", "CreateGrant", "DescribeKey", "GetKeyRotationStatus",
    "GetPublicKey", "ListGrants", "RetireGrant", "RevokeGrant",
})

#: The parameter that names the key, when it is not KeyId.
_KEY_PARAM = {"CreateAlias": "TargetKeyId", "UpdateAlias": "TargetKeyId", "DeleteAlias": "AliasName"}

#: The sandbox's model of grant eventual consistency (sources: grants: "usually less than
#: five minutes"). A new grant counts for authorization once its token is presented, or
#: once the sandbox clock is this many seconds past its creation. Retire/revoke act at once.
GRANT_PROPAGATION_SECONDS = 10.0

_GRANT_EC_OPERATIONS = frozenset({"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo",
                                  "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                                  "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"})


@dataclass
class GrantCheck:
    grant_id: str
    name: str | None
    grantee: str
    how: str | None          # "direct" | "account" | None
    has_operation: bool
    effective: bool          # token presented, or propagated
    constraints_hold: bool
    #: CreateGrant through a grant: the new grant asks for no more than this one holds
    within_parent: bool = True

    @property
    def allows(self) -> bool:
        return (bool(self.how) and self.has_operation and self.effective and self.constraints_hold
                and self.within_parent)

    def describe(self) -> str:
        why = []
        if not self.how:
            why.append("grantee is someone else")
        if self.how and not self.has_operation:
            why.append("operation not in the grant")
        if self.how and self.has_operation and not self.effective:
            why.append("not yet effective (no grant token; eventual consistency)")
        if self.how and self.has_operation and not self.constraints_hold:
            why.append("encryption context constraint not met")
        if self.how and self.has_operation and not self.within_parent:
            why.append("the new grant would allow more than this grant holds")
        verdict = "allows" if self.allows else "does not apply: " + ", ".join(why)
        # Ids are 64 hex characters, like AWS's; the first 8 name a grant well enough in a trace.
        return f"grant {self.grant_id[:8]}{f' ({self.name})' if self.name else ''} to {self.grantee}: {verdict}"


@dataclass
class Decision:
    """The outcome of one authorization, with the trace that led to it."""

    allowed: bool
    principal: Principal
    action: str
    resource: str
    by: str                                 # where the decision was taken
    reason: str | None = None               # the tail of AWS's denial message
    matches: list[StatementMatch] = field(default_factory=list)
    grants: list[GrantCheck] = field(default_factory=list)
    cross_account: bool = False
    context: conditions.Context | None = None

    def error(self) -> KmsError:
        """AccessDeniedException, in the shape of AWS's message."""
        msg = (f"User: {self.principal.arn} is not authorized to perform: {self.action} "
               f"on resource: {self.resource}")
        if self.reason:
            msg += f" {self.reason}"
        return KmsError("AccessDeniedException", msg)

    def report(self) -> str:
        """A readable account of the decision (for lessons)."""
        lines = [f"{'ALLOW' if self.allowed else 'DENY'}  {self.principal.arn} -> {self.action} "
                 f"on {self.resource}"]
        if self.cross_account:
            lines.append("  cross-account request: key policy AND an IAM policy in the caller's "
                         "account must both allow")
        if not self.matches:
            lines.append("  no policy statement covers this principal and action")
        for m in self.matches:
            lines.append("  - " + m.describe())
            for c in m.conditions:
                lines.append("      " + c.describe())
        for g in self.grants:
            lines.append("  - " + g.describe())
        lines.append(f"  decided by: {self.by}")
        if not self.allowed:
            lines.append(f"  error: {self.error().message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


# -- the decision ---------------------------------------------------------------------
def decide_action(principal: Principal, action: str, key: Any, context: conditions.Context,
                  *, key_policy: dict | None = None, grant_tokens: list[str] | None = None,
                  use_grants: bool = True, grant_request: dict | None = None) -> Decision:
    """Decide one action. `key` is the moto Key (None for operations without a key);
    `key_policy` overrides the key's stored policy (the lockout check uses it);
    `grant_request` is the CreateGrant request, which a grant may allow only in part."""
    resource = key.arn if key is not None else "*"
    request = Request(principal, action, resource, context)
    iam_matches: list[StatementMatch] = []
    for label, doc in iam_policies(principal):
        try:
            iam_matches += evaluate(doc, request, f"IAM policy {label}", resource_policy=False)
        except (KeyError, TypeError, AttributeError):
            continue  # a malformed IAM document allows nothing
    iam_deny = [m for m in iam_matches if m.effect == "Deny" and m.applies]
    iam_allow = [m for m in iam_matches if m.effect == "Allow" and m.applies]
    d = Decision(False, principal, action, resource, "", context=context)

    if key is None:
        d.matches = iam_matches
        if iam_deny:
            d.by, d.reason = "an explicit Deny in an IAM policy", "with an explicit deny in an identity-based policy"
        elif iam_allow:
            d.allowed, d.by = True, "an IAM policy (this operation names no key)"
        else:
            d.by = "no IAM policy allows it (this operation names no key)"
            d.reason = f"because no identity-based policy allows the {action} action"
        return d

    if key_policy is None:
        try:
            key_policy = parse(key.policy)
        except MalformedPolicy:
            key_policy = {"Statement": []}
    kp_request = Request(principal, action, resource, context.hiding(IAM_POLICY_ONLY))
    kp_matches = evaluate(key_policy, kp_request, "key policy", resource_policy=True)
    d.matches = kp_matches + iam_matches
    kp_deny = [m for m in kp_matches if m.effect == "Deny" and m.applies]
    kp_direct = [m for m in kp_matches if m.effect == "Allow" and m.applies and m.principal_how == "direct"]
    kp_account = [m for m in kp_matches if m.effect == "Allow" and m.applies and m.principal_how == "account"]
    d.cross_account = principal.account != key.account_id
    op = action.split(":", 1)[1]

    if kp_deny:
        d.by, d.reason = "an explicit Deny in the key policy", "with an explicit deny in a resource-based policy"
        return d
    if iam_deny:
        # IAM denies work without any key-policy permission (sources: key-policy-and-iam).
        d.by, d.reason = "an explicit Deny in an IAM policy", "with an explicit deny in an identity-based policy"
        return d
    if d.cross_account and op not in CROSS_ACCOUNT_OPERATIONS:
        d.by = f"{op} cannot be used on a key in another account (docs/sources.md#cross-account-access)"
        return d

    if use_grants:
        d.grants = _grant_checks(key, principal, op, context, grant_tokens or [], grant_request)
    grant_direct = any(g.allows and g.how == "direct" for g in d.grants)
    grant_account = any(g.allows and g.how == "account" for g in d.grants)

    if not d.cross_account:
        if kp_direct:
            d.allowed, d.by = True, "the key policy, which names the caller"
        elif kp_account and iam_allow:
            d.allowed, d.by = True, "an IAM policy, which the key policy lets the account use"
        elif grant_direct or (grant_account and iam_allow):
            d.allowed, d.by = True, "a grant"
        elif kp_account:
            d.by = "the key policy delegates to IAM, but no IAM policy allows it"
            d.reason = f"because no identity-based policy allows the {action} action"
        else:
            d.by = "no key policy statement allows the caller, and no grant"
            d.reason = f"because no resource-based policy allows the {action} action"
        return d

    # Cross-account: both sides must allow (sources: cross-account-access). Grants work on their own.
    if grant_direct or (grant_account and iam_allow):
        d.allowed, d.by = True, "a grant"
    elif (kp_direct or kp_account) and iam_allow:
        d.allowed, d.by = True, "the key policy in the key's account AND an IAM policy in the caller's account"
    elif kp_direct or kp_account:
        d.by = "the key policy allows the caller's account, but no IAM policy in the caller's account allows it"
        d.reason = f"because no identity-based policy allows the {action} action"
    else:
        d.by = "the key policy in the key's account does not allow the caller's account"
        d.reason = f"because no resource-based policy allows the {action} action"
    return d


def _grant_checks(key: Any, principal: Principal, op: str, context: conditions.Context,
                  tokens: list[str], grant_request: dict | None = None) -> list[GrantCheck]:
    now = clock.current().time()
    checks = []
    for grant in list(getattr(key, "grants", {}).values()):
        if not isinstance(grant.grantee_principal, str) or not isinstance(grant.operations, list):
            continue  # never stored since CreateGrant checks its request; never let one break a key
        how = names_principal(grant.grantee_principal, principal)
        created = getattr(grant, "kmslab_created_at", None)
        effective = grant.token in tokens or created is None or now >= created + GRANT_PROPAGATION_SECONDS
        constraints = grant.constraints if isinstance(grant.constraints, dict) else {}
        if op == "CreateGrant" and grant_request is not None:
            # A grant's CreateGrant allows only grants that are equally or more restrictive
            # (https://docs.aws.amazon.com/kms/latest/developerguide/create-grant-overview.html#grant-creategrant).
            wanted = grant_request.get("Operations") or []
            within = set(wanted) <= set(grant.operations)
            holds = at_least_as_strict(grant_request.get("Constraints") or {}, constraints)
        else:
            within, holds = True, _constraints_hold(constraints, op, context)
        checks.append(GrantCheck(grant.id, grant.name, grant.grantee_principal, how,
                                 op in grant.operations, effective, holds, within))
    return checks


def _constraints_hold(constraints: dict | None, op: str, context: conditions.Context) -> bool:
    if not constraints:
        return True
    if op in ("DescribeKey", "RetireGrant"):
        return True   # "the constraint doesn't apply to these operations" (API_GrantConstraints)
    if op not in _GRANT_EC_OPERATIONS:
        return False  # a grant with constraints only covers operations that take a context
    ec = {k[len("kms:encryptioncontext:"):]: v for k, v in context.items()
          if k.startswith("kms:encryptioncontext:")}
    return _allows_context(constraints, ec)


def _allows_context(constraints: dict, ec: dict) -> bool:
    """Would a request with encryption context `ec` meet these grant constraints?"""
    equals, subset = constraints.get("EncryptionContextEquals"), constraints.get("EncryptionContextSubset")
    if equals is not None and ec != equals:
        return False
    return all(ec.get(k) == v for k, v in (subset or {}).items())


def at_least_as_strict(child: dict, parent: dict) -> bool:
    """Does every encryption context the child's constraints accept also meet the parent's?
    A child may add pairs to a Subset, or turn a Subset into Equals, but not the reverse."""
    if not parent:
        return True
    if child.get("EncryptionContextEquals") is not None:
        # the child accepts exactly one context (if its own Subset allows it)
        only = child["EncryptionContextEquals"]
        return _allows_context(child, only) is False or _allows_context(parent, only)
    if parent.get("EncryptionContextEquals") is not None:
        return False  # a Subset (or nothing) accepts contexts the parent's Equals refuses
    wanted = child.get("EncryptionContextSubset") or {}
    return all(wanted.get(k) == v for k, v in (parent.get("EncryptionContextSubset") or {}).items())


# -- finding the key (until the RESOLVE stage has done it) ---------------------------------
def _find_key(key_id: str | None, call: dispatch.KmsCall) -> Any:
    from moto.kms.models import kms_backends

    if not key_id:
        return None
    account, region = call.account_id, call.region
    if key_id.startswith("arn:"):
        parts = key_id.split(":")
        if len(parts) >= 6:
            region, account = parts[3], parts[4]
    try:
        backend = kms_backends[account][region]
        return backend.keys.get(backend.any_id_to_key_id(key_id))
    except Exception:
        return None


def _key_from_blob(call: dispatch.KmsCall, param: str = "CiphertextBlob") -> Any:
    blob = call.blob(param) if call.params.get(param) else None
    if not blob:
        return None
    try:
        from . import symmetric

        head = symmetric.peek(blob)
        if head is not None:
            from moto.kms.models import kms_backends

            return kms_backends[head.account_id][call.region].keys.get(head.key_id)
    except Exception:
        pass
    for n in (40, 36):  # moto's own header: the key id in clear
        try:
            found = _find_key(blob[:n].decode("ascii"), call)
        except UnicodeDecodeError:
            continue
        if found is not None:
            return found
    return None


def _keys_for(call: dispatch.KmsCall) -> list[tuple[str, Any]]:
    """(action, key) pairs this request needs; ReEncrypt and UpdatePrimaryRegion need two."""
    op = call.operation
    resolved = call.notes.get("key")
    if op in NO_KEY_OPERATIONS:
        return [(f"kms:{op}", None)]
    if op == "ReEncrypt":
        source, destination = _reencrypt_keys(call)
        return [("kms:ReEncryptFrom", source), ("kms:ReEncryptTo", destination)]
    if resolved is None:
        param = _KEY_PARAM.get(op, "KeyId")
        resolved = _find_key(call.params.get(param), call)
        if resolved is None and op == "Decrypt":
            resolved = _key_from_blob(call)
    if resolved is not None and call.key_arn is None:
        # Until the RESOLVE stage has run: name the key for later stages and the audit trail,
        # and run the operation in the key owner's account (cross-account calls).
        call.key_arn, call.key_owner = resolved.arn, (resolved.account_id, resolved.region)
        call.notes["key"] = resolved
    if op == "UpdatePrimaryRegion" and resolved is not None:
        # kms:UpdatePrimaryRegion on the primary key AND on the replica in PrimaryRegion, each in its
        # own key policy (https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdatePrimaryRegion.html)
        return [(f"kms:{op}", resolved), (f"kms:{op}", _replica_in(resolved, call.params.get("PrimaryRegion")))]
    return [(f"kms:{op}", resolved)]


def _reencrypt_keys(call: dispatch.KmsCall) -> tuple[Any, Any]:
    """ReEncrypt's source and destination keys, as the RESOLVE stage found them (else looked up
    here, and noted for later stages: kms:ReEncryptOnSameKey compares them)."""
    source = call.notes.get("key")
    if source is None:
        source = (_find_key(call.params.get("SourceKeyId"), call) if call.params.get("SourceKeyId")
                  else _key_from_blob(call))
    destination = call.notes.get("destination_key") or _find_key(call.params.get("DestinationKeyId"), call)
    for name, key in (("key", source), ("destination_key", destination)):
        if key is not None:
            call.notes.setdefault(name, key)
    return source, destination


def _replica_in(key: Any, region: Any) -> Any:
    """The related multi-Region key of `key` in `region`, if there is one."""
    from moto.kms.models import kms_backends

    if not isinstance(region, str) or region == key.region or not getattr(key, "multi_region", False):
        return None
    try:
        return kms_backends[key.account_id][region].keys.get(key.id)
    except KeyError:   # not a Region of the partition: the operation answers
        return None


def principal_of(call: dispatch.KmsCall) -> Principal:
    if "principal" not in call.notes:
        identify(call)
    return call.notes["principal"]


def decide(call: dispatch.KmsCall) -> list[Decision]:
    """Every decision this request needs (one per key it touches)."""
    principal = principal_of(call)
    if call.operation == "RetireGrant":
        return [_retire_decision(call, principal)]
    decisions = []
    for action, key in _keys_for(call):
        if key is None and action[4:] not in NO_KEY_OPERATIONS:
            continue  # no such key: the operation itself answers NotFoundException
        context = request_context(call, action, principal, key)
        decisions.append(decide_action(
            principal, action, key, context, grant_tokens=call.params.get("GrantTokens"),
            grant_request=call.params if action == "kms:CreateGrant" else None))
    return decisions


def _retire_decision(call: dispatch.KmsCall, principal: Principal) -> Decision:
    """RetireGrant is decided by the grant (https://docs.aws.amazon.com/kms/latest/developerguide/grant-delete.html):
    its retiring principal; its grantee when the grant includes RetireGrant; the key's account,
    which may delegate kms:RetireGrant to its IAM principals; when the retiring principal is an
    account, that account's IAM principals allowed kms:RetireGrant. Key policies play no part,
    and a Deny of kms:RetireGrant in an IAM policy wins. A grant token only names the grant."""
    from . import grants

    key, grant = grants.find(call)
    call.notes["grant"] = (key, grant)
    if call.key_arn is None:   # retired by token: the audit trail and the operation need the key
        call.key_arn, call.key_owner, call.notes["key"] = key.arn, (key.account_id, key.region), key
    action = "kms:RetireGrant"
    context = request_context(call, action, principal, key)
    iam = [m for label, doc in iam_policies(principal)
           for m in _safe_evaluate(doc, Request(principal, action, key.arn, context), label)]
    d = Decision(False, principal, action, key.arn, "", matches=iam, context=context)
    iam_allows = any(m.effect == "Allow" and m.applies for m in iam)
    retiring = grant.retiring_principal if isinstance(grant.retiring_principal, str) else None
    by_retiring = names_principal(retiring, principal) if retiring else None
    if any(m.effect == "Deny" and m.applies for m in iam):
        d.by, d.reason = "an explicit Deny in an IAM policy", "with an explicit deny in an identity-based policy"
    elif by_retiring == "direct":
        d.allowed, d.by = True, "the grant's retiring principal"
    elif "RetireGrant" in grant.operations and names_principal(grant.grantee_principal, principal) == "direct":
        d.allowed, d.by = True, "the grant's grantee (the grant includes RetireGrant)"
    elif by_retiring == "account" and iam_allows:
        d.allowed, d.by = True, "an IAM policy in the retiring principal's account"
    elif principal.account == key.account_id and (principal.kind == "root" or iam_allows):
        d.allowed, d.by = True, "the key's account" + ("" if principal.kind == "root" else ", through an IAM policy")
    else:
        d.by = "the caller is not the grant's retiring principal, a grantee allowed to retire it, or its account"
    return d


def _safe_evaluate(doc: dict, request: Request, label: str) -> list[StatementMatch]:
    try:
        return evaluate(doc, request, f"IAM policy {label}", resource_policy=False)
    except (KeyError, TypeError, AttributeError):
        return []  # a malformed IAM document allows nothing


@dispatch.before(dispatch.AUTHORIZE, "authorize")
def authorize(call: dispatch.KmsCall) -> None:
    for decision in decide(call):
        call.notes.setdefault("decisions", []).append(decision)
        if not decision.allowed:
            raise decision.error()


def explain(call: dispatch.KmsCall) -> list[Decision]:
    """Why this request would be allowed or denied, without running it: the identify and
    resolve stages, then `decide`, the same code path the AUTHORIZE stage takes."""
    for priority, _, stage in list(dispatch._before):
        if priority in (dispatch.IDENTIFY, dispatch.RESOLVE):
            stage(call)
    return decide(call)
