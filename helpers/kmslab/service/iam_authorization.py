"""AUTHORIZE the IAM, STS and CloudTrail calls the suite uses, as AWS does; moto checks none.

- IAM: every action `iam:<Action>` is judged by the caller's identity-based policies (IAM has
  no resource policies), on the resource it names: a user, role, group, policy or instance
  profile ARN, the caller itself for actions that default to it (CreateAccessKey with no
  UserName, ...), else "*". A Deny wins; without an Allow the answer is AccessDenied. So a user
  with no permissions cannot give itself `*` with PutUserPolicy, nor make access keys for
  another user. (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
- STS AssumeRole: the role must exist and its trust policy must allow the caller; a trust
  policy that names the caller's account (not the caller) needs an identity-based policy that
  allows sts:AssumeRole too, and so does any cross-account call
  (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
  AssumeRoleWithWebIdentity and AssumeRoleWithSAML need a trust statement for a Federated
  principal. GetCallerIdentity is always allowed.
- Every account other than the default one is a member of the default account's
  organization: its OrganizationAccountAccessRole (AdministratorAccess, trusting the
  management account) exists as AWS Organizations creates it
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access.html).
  The cast reaches account B through it.
- CloudTrail LookupEvents needs cloudtrail:LookupEvents
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/security_iam_id-based-policy-examples.html).

The default account's root user (made-up credentials) has every permission in its account,
as a root user does; unlike AWS, the sandbox's root may also assume roles (it stands for the
account's administrator). What is still not authorized is listed on the ledger page.
"""
from __future__ import annotations

import json
from typing import Any

from .authentication import AuthError
from .identity import iam_policies, principal_for
from .policy import conditions
from .policy.evaluate import Principal, Request, StatementMatch, evaluate

ORGANIZATION_ROLE = "OrganizationAccountAccessRole"
_ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

#: IAM actions that act on the caller itself when UserName is left out (IAM API Reference).
_SELF_ACTIONS = frozenset({
    "CreateAccessKey", "DeleteAccessKey", "ListAccessKeys", "UpdateAccessKey", "GetUser",
    "ListSigningCertificates", "UploadSigningCertificate", "DeleteSigningCertificate",
    "UpdateSigningCertificate", "ListSSHPublicKeys", "ListServiceSpecificCredentials", "ChangePassword",
})


def _context(principal: Principal) -> conditions.Context:
    return conditions.Context({"aws:PrincipalArn": principal.principal_arn,
                               "aws:PrincipalAccount": principal.account})


def _identity_matches(principal: Principal, action: str, resource: str) -> list[StatementMatch]:
    found: list[StatementMatch] = []
    request = Request(principal, action, resource, _context(principal))
    for label, doc in iam_policies(principal):
        try:
            found += evaluate(doc, request, f"IAM policy {label}", resource_policy=False)
        except (KeyError, TypeError, AttributeError):
            continue  # a malformed document allows nothing
    return found


def _denied(principal: Principal, action: str, resource: str, explicit: bool, service: str) -> AuthError:
    on = f" on resource: {resource}" if resource != "*" else ""
    why = ("with an explicit deny in an identity-based policy" if explicit
           else f"because no identity-based policy allows the {action} action")
    message = f"User: {principal.arn} is not authorized to perform: {action}{on} {why}"
    if service == "cloudtrail":
        return AuthError(400, "AccessDeniedException", message, xml=False)
    return AuthError(403, "AccessDenied", message, xml=True)


def identity_allows(principal: Principal, action: str, resource: str, service: str) -> None:
    """Raise AccessDenied unless the caller's identity-based policies allow `action` on `resource`."""
    matches = _identity_matches(principal, action, resource)
    if any(m.effect == "Deny" and m.applies for m in matches):
        raise _denied(principal, action, resource, True, service)
    if not any(m.effect == "Allow" and m.applies for m in matches):
        raise _denied(principal, action, resource, False, service)


# -- IAM ----------------------------------------------------------------------------------------------
def iam_resource(action: str, params: dict[str, Any], principal: Principal, account: str) -> str:
    """The ARN an IAM action acts on, from its parameters."""
    from moto.iam.models import iam_backends

    iam = iam_backends[account]["aws"]
    user = params.get("UserName")
    if user:
        found = iam.users.get(user)
        return f"arn:aws:iam::{account}:user{found.path if found is not None else '/'}{user}"
    if action in _SELF_ACTIONS and principal.kind == "user":
        return principal.arn
    if params.get("RoleName"):
        role = next((r for r in iam.roles.values() if r.name == params["RoleName"]), None)
        return role.arn if role is not None else f"arn:aws:iam::{account}:role/{params['RoleName']}"
    if params.get("GroupName"):
        return f"arn:aws:iam::{account}:group/{params['GroupName']}"
    if action == "CreatePolicy" and params.get("PolicyName"):
        return f"arn:aws:iam::{account}:policy{params.get('Path') or '/'}{params['PolicyName']}"
    if params.get("PolicyArn"):
        return params["PolicyArn"]
    if params.get("InstanceProfileName"):
        return f"arn:aws:iam::{account}:instance-profile/{params['InstanceProfileName']}"
    return "*"


def _params(response: Any) -> dict[str, Any]:
    return {k: v[0] if isinstance(v, list) and v else v for k, v in response.querystring.items()}


def _caller(response: Any) -> Principal:
    return principal_for(response.get_access_key())


def _authorize_iam(self, resource: str = "*") -> None:  # type: ignore[no-untyped-def]
    principal = _caller(self)
    if principal.kind == "root":
        return   # the root user has every IAM permission in its own account
    action = self._get_action()
    identity_allows(principal, f"iam:{action}", iam_resource(action, _params(self), principal,
                                                               self.current_account), "iam")


# -- STS ----------------------------------------------------------------------------------------------
def _role(role_arn: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    parts = role_arn.split(":", 5)
    if len(parts) != 6 or not parts[4].isdigit() or not parts[5].startswith("role/"):
        return None
    account, name = parts[4], parts[5].rsplit("/", 1)[-1]
    iam = iam_backends[account]["aws"]
    role = next((r for r in iam.roles.values() if r.name == name), None)
    if role is None and name == ORGANIZATION_ROLE and account != DEFAULT_ACCOUNT_ID:
        role = _organization_role(iam, DEFAULT_ACCOUNT_ID)
    return role


def _organization_role(iam: Any, management_account: str) -> Any:
    """The role AWS Organizations creates in a member account."""
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{management_account}:root"},
        "Action": "sts:AssumeRole"}]}
    role = iam.create_role(ORGANIZATION_ROLE, json.dumps(trust), "/", None, "", [], None)
    iam.put_role_policy(ORGANIZATION_ROLE, "AdministratorAccess", json.dumps(_ALLOW_ALL))
    return role


def _authorize_sts(self, resource: str = "*") -> None:  # type: ignore[no-untyped-def]
    action = self._get_action()
    if action in ("AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"):
        return _authorize_federated(self, action)
    if action != "AssumeRole":
        return   # GetCallerIdentity is always allowed; the others are listed on the ledger page
    principal = _caller(self)
    role_arn = _params(self).get("RoleArn") or ""
    role = _role(role_arn)
    if role is None:
        raise _denied(principal, "sts:AssumeRole", role_arn, False, "sts")
    request = Request(principal, "sts:AssumeRole", role.arn, _context(principal))
    try:
        trust = evaluate(_trust_document(role), request, "trust policy", resource_policy=True)
    except (ValueError, KeyError, TypeError, AttributeError):
        trust = []
    identity = _identity_matches(principal, "sts:AssumeRole", role.arn)
    if any(m.effect == "Deny" and m.applies for m in trust + identity):
        raise _denied(principal, "sts:AssumeRole", role.arn, True, "sts")
    direct = any(m.effect == "Allow" and m.applies and m.principal_how == "direct" for m in trust)
    account = any(m.effect == "Allow" and m.applies and m.principal_how == "account" for m in trust)
    iam_allows = any(m.effect == "Allow" and m.applies for m in identity)
    same_account = principal.account == role.account_id
    if (direct and (same_account or iam_allows)) or (account and iam_allows):
        return
    raise _denied(principal, "sts:AssumeRole", role.arn, False, "sts")


def _trust_document(role: Any) -> dict[str, Any]:
    """The role's trust policy; its statements name no Resource (the role is the resource)."""
    doc = json.loads(role.assume_role_policy_document)
    found = doc.get("Statement", [])
    for st in found if isinstance(found, list) else [found]:
        if isinstance(st, dict) and "Resource" not in st and "NotResource" not in st:
            st["Resource"] = "*"
    return doc


def _authorize_federated(self, action: str) -> None:  # type: ignore[no-untyped-def]
    role_arn = _params(self).get("RoleArn") or ""
    role = _role(role_arn)
    try:
        statements = json.loads(role.assume_role_policy_document)["Statement"] if role is not None else []
    except (ValueError, KeyError, TypeError):
        statements = []
    for st in statements if isinstance(statements, list) else [statements]:
        actions = st.get("Action", []) if isinstance(st, dict) else []
        actions = [actions] if isinstance(actions, str) else actions
        federated = isinstance(st.get("Principal"), dict) and "Federated" in st["Principal"]
        if st.get("Effect") == "Allow" and federated and f"sts:{action}" in actions:
            return
    raise AuthError(403, "AccessDenied", f"Not authorized to perform sts:{action}", xml=True)


def _caller_identity(self, original):  # type: ignore[no-untyped-def]
    """Made-up credentials are the default account's root user (moto says user/moto)."""
    principal = _caller(self)
    if principal.kind != "root":
        return original(self)
    from moto.core.responses import ActionResult

    return ActionResult({"UserId": principal.account, "Account": principal.account, "Arn": principal.arn})


# -- CloudTrail ----------------------------------------------------------------------------------------
def _authorize_cloudtrail(self, resource: str = "*") -> None:  # type: ignore[no-untyped-def]
    if self._get_action() != "LookupEvents":
        return   # listed on the ledger page
    principal = _caller(self)
    if principal.kind != "root":
        identity_allows(principal, "cloudtrail:LookupEvents", "*", "cloudtrail")


def _install() -> None:
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.iam.responses import IamResponse
    from moto.sts.responses import TokenResponse

    from .patching import wrap

    # moto's own hook for IAM-style authorization, called by call_action before every action
    # (a no-op unless moto's auth is switched on): its errors become the response.
    IamResponse._authenticate_and_authorize_normal_action = _authorize_iam
    TokenResponse._authenticate_and_authorize_normal_action = _authorize_sts
    CloudTrailResponse._authenticate_and_authorize_normal_action = _authorize_cloudtrail
    wrap(TokenResponse, "get_caller_identity")(_caller_identity)


_install()
