"""Every KMS request passes through here, whoever sent it.

moto's KmsResponse.call_action is replaced by `handle`, so boto3 in-process,
any client of the local endpoint, and the AWS Encryption SDK all meet the same
rules. AWS services in the sandbox (S3, SSM, ...) that use KMS on a caller's
behalf come in through `invoke`, with `via_service` set.

A request runs through:
  1. `before` stages, in priority order (identify the caller, quotas, key state,
     authorization). Any stage may raise KmsError; the request then changes nothing.
  2. the operation: an override registered with `operation`, else moto's own.
  3. `after` hooks, which see the result or the error (the audit trail).
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import KmsError, from_moto

# Priorities for `before` stages; gaps leave room.
IDENTIFY, THROTTLE, RESOLVE, AUTHORIZE, VALIDATE = 10, 20, 30, 40, 50


@dataclass
class KmsCall:
    """One KMS request, as the stages see it."""

    operation: str
    params: dict[str, Any]
    account_id: str
    region: str
    access_key: str | None = None
    via_service: str | None = None
    secure_transport: bool = True
    #: the caller's ARN, set by the identify stage
    principal_arn: str | None = None
    #: the ARN of the key the request names, once resolved
    key_arn: str | None = None
    #: (account, region) that owns that key; moto runs the operation there.
    #: Differs from (account_id, region) on cross-account calls.
    key_owner: tuple[str, str] | None = None
    #: anything a stage wants to hand to a later one
    notes: dict[str, Any] = field(default_factory=dict)

    def blob(self, name: str) -> bytes | None:
        """A binary parameter (Plaintext, CiphertextBlob, Message ...), decoded."""
        value = self.params.get(name)
        return None if value is None else base64.b64decode(value)


Stage = Callable[[KmsCall], None]
AfterHook = Callable[[KmsCall, "dict | None", "KmsError | None"], None]
Operation = Callable[[KmsCall], dict]

_before: list[tuple[int, str, Stage]] = []
_after: list[tuple[str, AfterHook]] = []
_operations: dict[str, Operation] = {}


def before(priority: int, name: str) -> Callable[[Stage], Stage]:
    """Register a stage that runs before every KMS operation."""

    def register(fn: Stage) -> Stage:
        _before[:] = [s for s in _before if s[1] != name]
        _before.append((priority, name, fn))
        _before.sort(key=lambda s: s[0])
        return fn

    return register


def after(name: str) -> Callable[[AfterHook], AfterHook]:
    """Register a hook that sees every KMS request's outcome."""

    def register(fn: AfterHook) -> AfterHook:
        _after[:] = [s for s in _after if s[0] != name]
        _after.append((name, fn))
        return fn

    return register


def operation(name: str) -> Callable[[Operation], Operation]:
    """Register the sandbox's own implementation of a KMS operation."""

    def register(fn: Operation) -> Operation:
        _operations[name] = fn
        return fn

    return register


def invoke(call: KmsCall) -> dict:
    """Run one KMS request through the pipeline. Returns the JSON result or raises KmsError."""
    result: dict | None = None
    error: KmsError | None = None
    try:
        for _, _, stage in _before:
            stage(call)
        result = _execute(call)
        return result
    except KmsError as exc:
        error = exc
        raise
    finally:
        for _, hook in _after:
            hook(call, result, error)


def _execute(call: KmsCall) -> dict:
    override = _operations.get(call.operation)
    if override is not None:
        return override(call)
    return moto_operation(call)


def moto_operation(call: KmsCall) -> dict:
    """Run moto's own implementation of the call's operation."""
    from moto.core.utils import camelcase_to_underscores
    from moto.kms.responses import KmsResponse

    response = KmsResponse()
    response.body = json.dumps(call.params)
    response.current_account, response.region = call.key_owner or (call.account_id, call.region)
    response.headers = {}
    response.response_headers = {}
    method = getattr(response, camelcase_to_underscores(call.operation), None)
    if method is None:
        raise KmsError("UnsupportedOperationException",
                       f"The sandbox does not implement {call.operation}.")
    try:
        body = method()
    except NotImplementedError:
        raise KmsError("UnsupportedOperationException",
                       f"The sandbox does not implement {call.operation}.") from None
    except Exception as exc:  # moto's JsonRESTError family
        converted = from_moto(exc)
        if converted is None:
            raise
        raise converted from None
    if isinstance(body, tuple):  # (body, headers) or (status, headers, body)
        body = body[-1] if len(body) == 3 else body[0]
    return json.loads(body) if body else {}


def handle(response) -> tuple[int, dict, str]:
    """Replacement for KmsResponse.call_action: the HTTP entry point."""
    operation_name = response._get_action()
    try:
        params = json.loads(response.body or "{}")
    except ValueError:
        params = {}
    call = KmsCall(
        operation=operation_name,
        params=params,
        account_id=response.current_account,
        region=response.region,
        access_key=response.get_access_key(),
        secure_transport=_is_https(response),
    )
    headers = dict(response.response_headers)
    headers["Content-Type"] = "application/x-amz-json-1.1"
    try:
        result = invoke(call)
        status, body = 200, json.dumps(result)
    except KmsError as exc:
        status, body = exc.status, exc.body()
        headers["x-amzn-ErrorType"] = exc.code
    headers["status"] = status
    headers, body = response._enrich_response(headers, body)
    return status, headers, body


def _is_https(response) -> bool:
    url = getattr(response, "parsed_url", None)
    return getattr(url, "scheme", "https") == "https"


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.kms.responses import KmsResponse

    KmsResponse.call_action = handle
    _installed = True
