"""The front door: every KMS request is checked against botocore's KMS service model
before any stage runs, as AWS's own request layer checks it.

botocore's model (the one AWS's SDKs are generated from) names the 56 operations and
the shape of each one's input, so one walker covers every operation at once:
- the operation: only a model name, exactly (X-Amz-Target "TrentService.<Name>"), else
  UnknownOperationException;
- the body: a JSON object in UTF-8, with members of the right JSON types, else
  SerializationException (AWS's JSON protocol rejects these before validation);
- every member against its shape: required, length and range (min/max), enum values and
  patterns, reported all at once in AWS's ValidationException format:
  "2 validation errors detected: Value 'x' at 'keyId' failed to satisfy constraint: ...; ..."
  https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html
- an encryption context of at most 8,192 characters in all (keys and values).

It also says which operations take DryRun and which errors are faults (HTTP 500);
every other KMS error is HTTP 400. What is derived from the model is built once per
operation and kept: the model is immutable.
"""
from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
from typing import Any, Callable

from .errors import KmsError

TARGET_PREFIX = "TrentService."
#: "8,192 characters in all" for an encryption context (issue 14); AWS KMS developer guide,
#: https://docs.aws.amazon.com/kms/latest/developerguide/encrypt_context.html
MAX_ENCRYPTION_CONTEXT_CHARS = 8192
_INT_MIN, _INT_MAX = -2**31, 2**31 - 1  # the service deserialises integers as Java ints
DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun option is set."

Check = Callable[[Any, str, list], Any]


@functools.lru_cache(maxsize=1)
def _description() -> dict:
    from botocore.loaders import Loader

    return Loader().load_service_model("kms", "service-2")


@functools.lru_cache(maxsize=1)
def model():
    """botocore's KMS service model (loaded once)."""
    from botocore.model import ServiceModel

    return ServiceModel(_description(), "kms")


@functools.lru_cache(maxsize=1)
def operations() -> frozenset[str]:
    return frozenset(model().operation_names)


@functools.lru_cache(maxsize=1)
def _faults() -> frozenset[str]:
    # "fault": true marks a server-side error in the model (HTTP 500); all others are 400.
    shapes = _description()["shapes"]
    return frozenset(name for name, s in shapes.items() if s.get("exception") and s.get("fault"))


def status(code: str) -> int:
    """The HTTP status AWS sends with error `code` (from the model)."""
    return 500 if code in _faults() else 400


@functools.lru_cache(maxsize=None)
def takes_dry_run(operation: str) -> bool:
    return "DryRun" in model().operation_model(operation).input_shape.members


# -- the operation and the body ----------------------------------------------------------

def unknown_operation() -> KmsError:
    # AWS's JSON services answer an unknown X-Amz-Target with this code and no message.
    return KmsError("UnknownOperationException", "")


def serialization(message: str) -> KmsError:
    return KmsError("SerializationException", message)


def operation_for(target: str | None) -> str:
    """The operation an X-Amz-Target header names: "TrentService.Encrypt" -> "Encrypt"."""
    if not target or not target.startswith(TARGET_PREFIX):
        raise unknown_operation()
    name = target[len(TARGET_PREFIX):]
    if name not in operations():
        raise unknown_operation()
    return name


def _no_constant(name: str):
    raise ValueError(name)  # NaN and Infinity are not JSON


def parse_body(body: Any) -> dict:
    """The request body as a JSON object, or SerializationException."""
    if body is None or body == b"" or body == "":
        return {}
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise serialization("Invalid UTF-8 middle byte") from None
    try:
        params = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise serialization("Nesting depth exceeded") from None
    except ValueError:
        raise serialization("Unable to parse the request body as JSON") from None
    if not isinstance(params, dict):
        raise serialization("Start of structure or map expected")
    return params


# -- the parameters ------------------------------------------------------------------------

def check(call) -> list[str]:
    """Check `call` (operation and params) against the model.

    Raises KmsError for a request that never becomes a KMS call (unknown operation, a Region
    KMS does not have, members of the wrong JSON type). Returns the constraint violations
    (empty if none): dispatch raises them as ValidationException once it knows the caller,
    since AWS records such a failed call in CloudTrail. Members sent as null are removed
    (AWS treats them as absent) and integers given as JSON numbers with a fraction are
    truncated, so later stages see clean values."""
    if call.operation not in operations():
        raise unknown_operation()
    if call.region not in _regions():
        # A request signed for a Region KMS does not have (the answer of AWS's SigV4 check).
        raise KmsError("InvalidSignatureException", "Credential should be scoped to a valid region. ")
    if not isinstance(call.params, dict):
        raise serialization("Start of structure or map expected")
    errors: list[str] = []
    _input_check(call.operation)(call.params, "", errors)
    return errors


@functools.lru_cache(maxsize=1)
def _regions() -> frozenset[str]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.kms.models import kms_backends

    return frozenset(kms_backends[DEFAULT_ACCOUNT_ID].regions)


def validation_error(errors: list[str]) -> KmsError:
    count = len(errors)
    return KmsError("ValidationException",
                    f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(errors))


@functools.lru_cache(maxsize=None)
def _input_check(operation: str) -> Check:
    return _compile(model().operation_model(operation).input_shape)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _failed(value: str | None, path: str, constraint: str) -> str:
    shown = "Value" if value is None else f"Value {value}"
    return f"{shown} at '{path}' failed to satisfy constraint: {constraint}"


def _java(value: Any) -> str:
    """How the service prints a value in a message (Java's toString)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_java(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java(v)}" for k, v in value.items()) + "}"
    return str(value)


# The service's (Java) names for the JSON value it found, as its deserialiser reports them.
_NUMBER = "com.amazon.coral.value.json.numbers.TruncatingBigNumber"
_JSON_CLASS = {bool: "java.lang.Boolean", str: "java.lang.String", int: _NUMBER, float: _NUMBER}


def _wrong_type(value: Any, wanted: str) -> KmsError:
    """AWS's JSON protocol answers a member of the wrong JSON type with SerializationException."""
    if isinstance(value, dict):
        return serialization("Start of structure or map found where not expected.")
    if isinstance(value, list):
        return serialization("Start of list found where not expected.")
    return serialization(f"class {_JSON_CLASS.get(type(value), 'java.lang.Object')} "
                         f"can not be converted to an {wanted}")


def _utf16_length(text: str) -> int:
    # Lengths are counted as the service counts them: UTF-16 code units.
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _bounds(shape, unit: str) -> list[tuple[Callable[[int], bool], str]]:
    found = []
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and low > 0:
        found.append((lambda n, low=low: n < low, f"Member must have {unit} greater than or equal to {low}"))
    if high is not None:
        found.append((lambda n, high=high: n > high, f"Member must have {unit} less than or equal to {high}"))
    return found


def _compile(shape, _memo: dict | None = None) -> Check:
    memo = {} if _memo is None else _memo
    if shape.name in memo:
        return lambda value, path, errors: memo[shape.name](value, path, errors)
    kind = shape.type_name
    build = {"structure": _structure, "list": _list, "map": _map, "string": _string,
             "integer": _integer, "long": _integer, "boolean": _boolean, "blob": _blob,
             "timestamp": _timestamp}.get(kind, _anything)
    check_fn = build(shape, memo)
    memo[shape.name] = check_fn
    return check_fn


def _anything(shape, memo) -> Check:
    return lambda value, path, errors: value


def _structure(shape, memo) -> Check:
    memo[shape.name] = None  # recursion guard; filled in by _compile
    required = frozenset(shape.required_members)
    members = [(name, _camel(name), _compile(member, memo)) for name, member in shape.members.items()]

    def check_structure(value, path, errors):
        if not isinstance(value, dict):
            raise _wrong_type(value, "Structure")
        if None in value.values():
            for name in [k for k, v in value.items() if v is None]:
                del value[name]
        for name, camel, check_member in members:
            member = value.get(name)
            if member is None:
                if name in required:
                    errors.append(_failed("null", _join(path, camel), "Member must not be null"))
                continue
            checked = check_member(member, _join(path, camel), errors)
            if checked is not member:
                value[name] = checked
        return value

    return check_structure


def _list(shape, memo) -> Check:
    member_shape = shape.member
    check_member = _compile(member_shape, memo)
    bounds = _bounds(shape, "length")
    scalar = member_shape.type_name not in ("structure", "list", "map")

    def check_list(value, path, errors):
        if not isinstance(value, list):
            raise _wrong_type(value, "List")
        for test, constraint in bounds:
            if test(len(value)):
                errors.append(_failed(f"'{_java(value)}'", path, constraint))
        if scalar:
            # Members' constraints are reported once, at the list (AWS's format).
            inner: list[str] = []
            for i, item in enumerate(value):
                if item is None:
                    raise serialization("Null members are not allowed in a list")
                value[i] = check_member(item, path, inner)
            if inner:
                reasons = list(dict.fromkeys(m.split("failed to satisfy constraint: ", 1)[1] for m in inner))
                errors.append(_failed(f"'{_java(value)}'", path,
                                      f"Member must satisfy constraint: [{', '.join(reasons)}]"))
        else:
            for i, item in enumerate(value, 1):
                if item is None:
                    raise serialization("Null members are not allowed in a list")
                value[i - 1] = check_member(item, f"{path}.{i}.member", errors)
        return value

    return check_list


def _map(shape, memo) -> Check:
    check_key, check_value = _compile(shape.key, memo), _compile(shape.value, memo)
    is_context = shape.name == "EncryptionContextType"

    def check_map(value, path, errors):
        if not isinstance(value, dict):
            raise _wrong_type(value, "Map")
        total = 0
        for key, item in value.items():
            if item is None:
                raise serialization("Null values are not allowed in a map")
            check_key(key, f"{path}.key", errors)
            check_value(item, f"{path}.{key}", errors)
            if is_context:
                total += _utf16_length(key) + _utf16_length(item)
        if is_context and total > MAX_ENCRYPTION_CONTEXT_CHARS:
            errors.append(_failed(None, path, "Member must have total length of keys and values "
                                              f"less than or equal to {MAX_ENCRYPTION_CONTEXT_CHARS}"))
        return value

    return check_map


def _string(shape, memo) -> Check:
    sensitive = bool(shape.metadata.get("sensitive"))
    bounds = _bounds(shape, "length")
    pattern = shape.metadata.get("pattern")
    matcher = re.compile(pattern, re.ASCII).fullmatch if pattern else None
    enum = tuple(shape.enum) if shape.enum else ()
    allowed = frozenset(enum)
    enum_message = f"Member must satisfy enum value set: [{', '.join(enum)}]"

    def check_string(value, path, errors):
        if not isinstance(value, str):
            raise _wrong_type(value, "String")
        shown = None if sensitive else f"'{value}'"
        if matcher is not None and matcher(value) is None:
            errors.append(_failed(shown, path, f"Member must satisfy regular expression pattern: {pattern}"))
        if bounds:
            length = _utf16_length(value)
            for test, constraint in bounds:
                if test(length):
                    errors.append(_failed(shown, path, constraint))
        if allowed and value not in allowed:
            errors.append(_failed(shown, path, enum_message))
        return value

    return check_string


def _integer(shape, memo) -> Check:
    bounds = _bounds(shape, "value")

    def check_integer(value, path, errors):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _wrong_type(value, "Integer")
        if isinstance(value, float):
            if not math.isfinite(value):
                raise serialization("Numeric value out of range of int")
            value = int(value)  # the service truncates fractions
        if not _INT_MIN <= value <= _INT_MAX:
            raise serialization(f"Numeric value ({value}) out of range of int")
        for test, constraint in bounds:
            if test(value):
                errors.append(_failed(f"'{value}'", path, constraint))
        return value

    return check_integer


def _boolean(shape, memo) -> Check:
    def check_boolean(value, path, errors):
        if not isinstance(value, bool):
            raise _wrong_type(value, "Boolean")
        return value

    return check_boolean


def _timestamp(shape, memo) -> Check:
    def check_timestamp(value, path, errors):
        # The JSON protocol sends timestamps as seconds since the epoch.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _wrong_type(value, "Date")
        return value

    return check_timestamp


def _blob(shape, memo) -> Check:
    bounds = _bounds(shape, "length")

    def check_blob(value, path, errors):
        if not isinstance(value, str):
            raise _wrong_type(value, "ByteBuffer")
        try:
            size = len(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            raise serialization("Base64 encoded binary data could not be decoded") from None
        for test, constraint in bounds:
            if test(size):
                errors.append(_failed(None, path, constraint))  # binary values are never shown
        return value

    return check_blob


def dry_run(call) -> bool:
    """True when the request asks for a dry run (and the operation takes one)."""
    return call.params.get("DryRun") is True and takes_dry_run(call.operation)


def dry_run_error() -> KmsError:
    # https://docs.aws.amazon.com/kms/latest/developerguide/programming-dryrun.html
    return KmsError("DryRunOperationException", DRY_RUN_MESSAGE)
