"""Secrets Manager resource policies, and reading a secret from another account.

moto 5.2 stores a secret's resource policy (PutResourcePolicy) but never reads it, and
looks every secret up in the caller's own account, so another account's secret, named by
its ARN, is "not found". AWS (Secrets Manager User Guide, auth-and-access_examples-cross.html
and auth-and-access_resource-policies.html; sources: secrets-manager-cross-account):

- a principal in another account names the secret by its ARN. The secret's resource policy
  must allow the action to that principal (or its account), AND an IAM policy in the
  caller's own account must allow it too;
- the value is then decrypted for that caller: Secrets Manager calls KMS Decrypt as the
  caller, so the secret's KMS key must let the other account decrypt. An AWS managed key
  such as aws/secretsmanager never does (its key policy allows only its own account, via
  Secrets Manager, and cannot be changed); secrets_encryption makes that call;
- an explicit Deny, in the resource policy or an IAM policy, refuses the request.

Like moto, the sandbox does not judge requests within the secret's own account by IAM
policies: there, only an explicit Deny blocks (an absent Allow does not).

A refusal is AccessDeniedException in IAM's wording: "User: <arn> is not authorized to
perform: secretsmanager:GetSecretValue on resource: <secret ARN> because no
resource-based policy allows the secretsmanager:GetSecretValue action".
"""
from __future__ import annotations

import contextvars
import json
from typing import Any

from .identity import iam_policies, principal_for
from .patching import wrap
from .policy import Request, evaluate
from .policy.conditions import Context
from .policy.evaluate import Principal

#: The account whose backend serves the request being handled (None: the caller's).
_owner: contextvars.ContextVar[str | None] = contextvars.ContextVar("kmslab_secret_owner", default=None)


def owner_of(secret_id: Any) -> str | None:
    """The account a secret ARN names, or None for a name (looked up in the caller's account)."""
    if isinstance(secret_id, str) and secret_id.startswith("arn:"):
        parts = secret_id.split(":")
        if len(parts) > 5 and parts[2] == "secretsmanager" and parts[4].isdigit():
            return parts[4]
    return None


def refusal(principal: Principal, action: str, secret_arn: str, policy_text: str | None,
            cross_account: bool) -> str | None:
    """None if the request may go ahead, else the tail of AWS's denial message."""
    context = Context({"aws:PrincipalArn": principal.principal_arn,
                       "aws:PrincipalAccount": principal.account})
    request = Request(principal=principal, action=action, resource=secret_arn, context=context)
    try:
        document = json.loads(policy_text) if policy_text else None
    except ValueError:
        document = None
    on_secret = [m for m in evaluate(document, request, "resource policy", resource_policy=True)
                 if m.applies] if document else []
    if any(m.effect == "Deny" for m in on_secret):
        return "with an explicit deny in a resource-based policy"
    on_caller = [m for label, doc in iam_policies(principal)
                 for m in evaluate(doc, request, f"IAM policy {label}", resource_policy=False) if m.applies]
    if any(m.effect == "Deny" for m in on_caller):
        return "with an explicit deny in an identity-based policy"
    if not cross_account:
        return None
    if not any(m.effect == "Allow" for m in on_secret):
        return f"because no resource-based policy allows the {action} action"
    if not any(m.effect == "Allow" for m in on_caller):
        return f"because no identity-based policy allows the {action} action"
    return None


def _access_denied(message: str) -> Exception:
    from moto.secretsmanager.exceptions import SecretsManagerClientError

    return SecretsManagerClientError("AccessDeniedException", message)


def _install() -> None:
    from moto.secretsmanager.models import secretsmanager_backends
    from moto.secretsmanager.responses import SecretsManagerResponse

    if getattr(SecretsManagerResponse, "_kmslab_access", False):
        return
    SecretsManagerResponse._kmslab_access = True

    # The backend of the secret's owner while a request for another account's secret is served.
    SecretsManagerResponse.backend = property(
        lambda self: secretsmanager_backends[_owner.get() or self.current_account][self.region])

    @wrap(SecretsManagerResponse, "call_action")
    def call_action(self, original):  # type: ignore[no-untyped-def]
        try:
            secret_id = self._get_param("SecretId")
        except Exception:  # a body that is not JSON: moto answers it
            secret_id = None
        if not isinstance(secret_id, str):
            return original(self)
        owner = owner_of(secret_id) or self.current_account
        secret = secretsmanager_backends[owner][self.region].secrets.get(secret_id)
        if secret is None:   # moto answers ResourceNotFoundException
            token = _owner.set(owner)
            try:
                return original(self)
            finally:
                _owner.reset(token)
        try:
            access_key = self.get_access_key()
        except Exception:  # an unsigned request
            access_key = None
        principal = principal_for(access_key)
        action = f"secretsmanager:{self._get_action()}"
        why = refusal(principal, action, secret.arn, getattr(secret, "policy", None),
                      cross_account=owner != principal.account)
        if why:
            raise _access_denied(f"User: {principal.arn} is not authorized to perform: {action} "
                                 f"on resource: {secret.arn} {why}")
        token = _owner.set(owner)
        try:
            return original(self)
        finally:
            _owner.reset(token)


_install()
