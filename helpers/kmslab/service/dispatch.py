"""Every KMS request passes through here, whoever sent it.

moto's KmsResponse.call_action is replaced by `handle`, so boto3 in-process,
any client of the local endpoint, and the AWS Encryption SDK all meet the same
rules. AWS services in the sandbox (S3, SSM, ...) that use KMS on a caller's
behalf come in through `invoke`, with `via_service` set.

A request runs through:
  0. the front door (front_door.py): the operation name, the body and every parameter
     checked against botocore's KMS model. A request it refuses reaches no operation; one
     with invalid parameters is stopped right after the caller is identified, so the audit
     trail records it as CloudTrail would, and no other stage sees it.
  1. `before` stages, in priority order (identify the caller, quotas, key state,
     authorization). Any stage may raise KmsError; the request then changes nothing.
  2. the operation: an override registered with `operation`, else moto's own.
     With DryRun, the request stops here with DryRunOperationException; operations that
     change nothing run first, so the answer is the one the real request would get.
  3. `after` hooks, which see the result or the error (the audit trail).
"""
from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from . import front_door
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


#: DryRun operations that change state: a dry run stops after the stages' checks.
#: The others (cryptographic operations) run, and their result is thrown away.
_DRY_RUN_STOPS_BEFORE = frozenset({"CreateGrant", "RetireGrant", "RevokeGrant"})


def invoke(call: KmsCall) -> dict:
    """Run one KMS request through the pipeline. Returns the JSON result or raises KmsError."""
    problems = front_door.check(call)
    result: dict | None = None
    error: KmsError | None = None
    try:
        for priority, _, stage in _before:
            if problems and priority > IDENTIFY:
                # Invalid parameters stop the call here: after the caller is known (the audit
                # trail records who sent it, as CloudTrail does) and before any other stage.
                raise front_door.validation_error(problems)
            stage(call)
        if front_door.dry_run(call):
            if call.operation not in _DRY_RUN_STOPS_BEFORE and not _ignores_ciphertext(call):
                _execute(call)
            raise front_door.dry_run_error()
        result = _execute(call)
        return result
    except KmsError as exc:
        error = exc
        raise
    finally:
        for _, hook in _after:
            hook(call, result, error)


def _ignores_ciphertext(call: KmsCall) -> bool:
    # DryRunModifiers IGNORE_CIPHERTEXT: "KMS performs only authorization validation without
    # ciphertext validation" (API_Decrypt, API_ReEncrypt).
    return "IGNORE_CIPHERTEXT" in (call.params.get("DryRunModifiers") or ())


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
    """Replacement for KmsResponse.call_action: the HTTP entry point.

    The operation is read from X-Amz-Target alone (moto would also take an "Action" from
    the query string or the headers), so the name the rules see is the name that runs."""
    headers = dict(response.response_headers)
    headers["Content-Type"] = "application/x-amz-json-1.1"
    try:
        call = KmsCall(
            operation=front_door.operation_for(response.headers.get("X-Amz-Target")),
            params=front_door.parse_body(response.body),
            account_id=response.current_account,
            region=response.region,
            access_key=response.get_access_key(),
            secure_transport=_is_https(response),
        )
        result = invoke(call)
        status, body = 200, json.dumps(result)
    except KmsError as exc:
        status, body = front_door.status(exc.code), exc.body()
        headers["x-amzn-ErrorType"] = exc.code
    except Exception:  # a bug, never the caller's fault: AWS's fault answer, no traceback
        logging.getLogger(__name__).exception("KMS request failed inside the sandbox")
        error = KmsError("KMSInternalException", "The request was rejected because an internal "
                                                 "exception occurred. The request can be retried.")
        status, body = front_door.status(error.code), error.body()
        headers["x-amzn-ErrorType"] = error.code
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
    # Keep the body as bytes: the front door decodes it (and answers bad UTF-8 as AWS does,
    # where moto would fail with a 500), and moto never parses it as a query string.
    KmsResponse.use_raw_body = True
    # KMS takes no compressed bodies (its model has no requestcompression trait): a body sent as
    # gzip reaches the front door as it is (SerializationException), never moto's gunzip (a 500).
    KmsResponse.decompress_request_body = lambda self, request: None
    _installed = True
