"""S3 bucket policies with their Conditions evaluated, for object requests.

moto 5.2 checks a bucket policy's Deny statements on object requests but
ignores their Conditions, so the classic "deny unencrypted uploads" and "deny
plain HTTP" policies block every PutObject (../shared/reference/moto-gaps.md
2.3). Here the decision for an object request (GET, HEAD, PUT, DELETE, POST)
is taken with the sandbox's IAM-style evaluator (kmslab.service.policy) and
the request's condition keys:

- `s3:x-amz-server-side-encryption` and
  `s3:x-amz-server-side-encryption-aws-kms-key-id`: the request's headers,
  absent when the request does not send them, even if the bucket's default
  encryption will encrypt the object (sources: bucket-policy-require-encryption);
- `aws:SecureTransport`: true only for HTTPS requests (sources: bucket-policy-require-tls); the
  local endpoint on http://127.0.0.1 is plain HTTP, so it is false there;
- `aws:PrincipalArn`, `aws:PrincipalAccount`.

An explicit Deny whose action, resource, principal and conditions all match
gets S3's 403 AccessDenied before anything is stored or any KMS call is made.
Only explicit denies block: like moto without IAM authentication, an absent
Allow does not. Bucket-level requests (ListBucket, ...) keep moto's behaviour.
"""
from __future__ import annotations

import contextvars
import functools
import json
from typing import Any
from urllib.parse import parse_qs, urlparse

from .identity import principal_for
from .policy import Request, evaluate
from .policy.conditions import Context

_H_SSE = "x-amz-server-side-encryption"
_H_KMS_KEY = "x-amz-server-side-encryption-aws-kms-key-id"

#: The decision for the object request being served, read by FakeBucket.get_permission.
_decision: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "kmslab_s3_bucket_policy", default=None)

# Sub-resources that name a different S3 action (S3 "Actions, resources and condition keys").
_SUBRESOURCE_ACTIONS = {
    ("GET", "tagging"): "s3:GetObjectTagging", ("PUT", "tagging"): "s3:PutObjectTagging",
    ("DELETE", "tagging"): "s3:DeleteObjectTagging",
    ("GET", "acl"): "s3:GetObjectAcl", ("PUT", "acl"): "s3:PutObjectAcl",
}
_METHOD_ACTIONS = {"GET": "s3:GetObject", "HEAD": "s3:GetObject", "PUT": "s3:PutObject",
                   "POST": "s3:PutObject", "DELETE": "s3:DeleteObject"}


def action_for(method: str, query: dict[str, Any]) -> str | None:
    """The S3 action an object request needs (HEAD needs s3:GetObject, S3 API HeadObject doc)."""
    method = method.upper()
    for (m, sub), name in _SUBRESOURCE_ACTIONS.items():
        if m == method and sub in query:
            return name
    return _METHOD_ACTIONS.get(method)


def request_context(headers, secure: bool, principal) -> Context:
    values: dict[str, Any] = {"aws:SecureTransport": secure,
                              "aws:PrincipalArn": principal.principal_arn,
                              "aws:PrincipalAccount": principal.account}
    for header in (_H_SSE, _H_KMS_KEY):
        value = headers.get(header)
        if value is not None:
            values[f"s3:{header}"] = value
    return Context(values)


def decide(policy_text: str | bytes, action: str, resource: str, context: Context,
           principal) -> str:
    """"DENIED", "PERMITTED" or "NEUTRAL" for one object request."""
    try:
        doc = json.loads(policy_text)
    except (TypeError, ValueError):
        return "NEUTRAL"
    request = Request(principal=principal, action=action, resource=resource, context=context)
    matches = [m for m in evaluate(doc, request, "bucket policy", resource_policy=True) if m.applies]
    if any(m.effect == "Deny" for m in matches):
        return "DENIED"
    return "PERMITTED" if matches else "NEUTRAL"


def _access_key(resp) -> str | None:
    try:
        return resp.get_access_key()
    except Exception:  # unsigned request
        return None


def _install() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    if getattr(S3Response, "_kmslab_bucket_policy", False):
        return
    S3Response._kmslab_bucket_policy = True
    original_key_response = S3Response._key_response
    original_get_permission = FakeBucket.get_permission

    @functools.wraps(original_key_response)
    def _key_response(self, request, full_url):
        bucket_name = self.parse_bucket_name_from_url(request, full_url)
        try:
            bucket = self.backend.get_bucket(bucket_name)
        except Exception:
            bucket = None
        if bucket is None or bucket.policy is None:
            return original_key_response(self, request, full_url)
        parsed = urlparse(full_url)
        action = action_for(request.method, parse_qs(parsed.query, keep_blank_values=True))
        if action is None:
            return original_key_response(self, request, full_url)
        principal = principal_for(_access_key(self))
        resource = f"arn:{bucket.partition}:s3:::{bucket_name}/{self.parse_key_name()}"
        context = request_context(request.headers, parsed.scheme == "https", principal)
        decision = decide(bucket.policy, action, resource, context, principal)
        if decision == "DENIED":
            if request.method.upper() == "HEAD":   # HEAD responses carry no body
                return 403, {}, ""
            return 403, {"Content-Type": "application/xml"}, (
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
        token = _decision.set(decision)
        try:
            return original_key_response(self, request, full_url)
        finally:
            _decision.reset(token)

    def get_permission(self, action: str, resource: str):
        decided = _decision.get()
        if decided is None:
            return original_get_permission(self, action, resource)
        return getattr(PermissionResult, decided)

    S3Response._key_response = _key_response
    FakeBucket.get_permission = get_permission


_install()
