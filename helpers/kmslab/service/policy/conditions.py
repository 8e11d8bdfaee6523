"""Condition operators, as the IAM policy language defines them.

Rules followed (IAM User Guide, "Condition element" and "multivalued context keys"):
- several operators in one Condition, or several keys in one operator: all must hold (AND);
- several values for one key: any may match (OR); for a negated operator none may match;
- a key missing from the request: positive operators fail, negated operators hold,
  `...IfExists` holds, `Null: true` holds;
- ForAnyValue / ForAllValues compare a multivalued key (kms:EncryptionContextKeys) as a set;
  ForAllValues holds when the key is missing or empty.
Condition key names are case-insensitive; values are compared as the operator says. Date
operators take seconds since the epoch or ISO 8601 dates (kms:ValidTo is a date).
"""
from __future__ import annotations

import datetime as _dt
import functools
import operator as _operator
from dataclasses import dataclass
from typing import Any, Callable

from . import match

_MISSING = object()


def _str_eq(p: str, v: str) -> bool:
    return p == v


def _str_eq_ic(p: str, v: str) -> bool:
    return p.lower() == v.lower()


def _str_like(p: str, v: str) -> bool:
    return match.like(p, v)


def _bool(p: str, v: str) -> bool:
    return str(p).lower() == str(v).lower()


def _instant(value: Any) -> float:
    """A Date operator's operand: seconds since the epoch, or an ISO 8601 date and time."""
    try:
        return float(value)
    except (TypeError, ValueError):
        text = str(value).strip()
        moment = _dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        return (moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)).timestamp()


def _compared(convert: Callable[[Any], float], cmp: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    """cmp(request value, policy value), both converted; a value that does not convert never matches."""
    def check(p: str, v: str) -> bool:
        try:
            return cmp(convert(v), convert(p))
        except (TypeError, ValueError, OverflowError):
            return False
    return check


# operator -> (comparison of one policy value with one request value, negated?)
_BASE: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (_str_eq, False),
    "StringNotEquals": (_str_eq, True),
    "StringEqualsIgnoreCase": (_str_eq_ic, False),
    "StringNotEqualsIgnoreCase": (_str_eq_ic, True),
    "StringLike": (_str_like, False),
    "StringNotLike": (_str_like, True),
    "ArnEquals": (_str_like, False),   # IAM treats ArnEquals like ArnLike
    "ArnLike": (_str_like, False),
    "ArnNotEquals": (_str_like, True),
    "ArnNotLike": (_str_like, True),
    "Bool": (_bool, False),
}
# Numeric* and Date*: the same six comparisons, of numbers or of instants.
for _prefix, _convert in (("Numeric", float), ("Date", _instant)):
    _BASE[f"{_prefix}NotEquals"] = (_compared(_convert, _operator.eq), True)
    for _suffix, _cmp in (("Equals", _operator.eq), ("LessThan", _operator.lt), ("LessThanEquals", _operator.le),
                          ("GreaterThan", _operator.gt), ("GreaterThanEquals", _operator.ge)):
        _BASE[f"{_prefix}{_suffix}"] = (_compared(_convert, _cmp), False)
del _prefix, _convert, _suffix, _cmp


@dataclass(frozen=True)
class Operator:
    name: str          # as written, e.g. "ForAnyValue:StringLike"
    base: str          # "StringLike", or "Null"
    set_op: str | None  # "ForAnyValue" | "ForAllValues" | None
    if_exists: bool


def parse_operator(name: str) -> Operator | None:
    set_op = None
    rest = name
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if rest.startswith(prefix):
            set_op, rest = prefix[:-1], rest[len(prefix):]
    if_exists = rest.endswith("IfExists") and rest != "IfExists"
    base = rest[: -len("IfExists")] if if_exists else rest
    if base != "Null" and base not in _BASE:
        return None
    if base == "Null" and (if_exists or set_op):
        return None
    return Operator(name, base, set_op, if_exists)


def known_operator(name: str) -> bool:
    return parse_operator(name) is not None


@dataclass
class ConditionResult:
    """One operator/key pair of a Condition block, evaluated (for the explain trace)."""

    operator: str
    key: str
    expected: list[str]
    actual: Any
    holds: bool

    def describe(self) -> str:
        actual = "(absent)" if self.actual is _MISSING else self.actual
        mark = "holds" if self.holds else "fails"
        return f"{self.operator} {self.key} {self.expected} vs request {actual!r}: {mark}"


def evaluate(condition: dict[str, dict[str, Any]], context: "Context") -> list[ConditionResult]:
    """Evaluate every operator/key pair; the statement applies only if all hold."""
    results = []
    for op_name, block in condition.items():
        op = parse_operator(op_name)
        for key, expected in block.items():
            values = [str(v).lower() if isinstance(v, bool) else str(v)
                      for v in (expected if isinstance(expected, list) else [expected])]
            actual = context.get(key)
            holds = _holds(op, values, actual) if op else False
            results.append(ConditionResult(op_name, key, values, actual, holds))
    return results


def _holds(op: Operator, values: list[str], actual: Any) -> bool:
    present = actual is not _MISSING and actual != [] and actual is not None
    if op.base == "Null":
        return (values[0].lower() == "true") == (not present)
    if not present:
        if op.set_op == "ForAllValues":
            return True
        if op.set_op == "ForAnyValue":
            return False
        return op.if_exists or _BASE[op.base][1]
    compare, negated = _BASE[op.base]
    items = [str(a).lower() if isinstance(a, bool) else str(a)
             for a in (actual if isinstance(actual, list) else [actual])]

    def one(item: str) -> bool:
        hit = any(compare(p, item) for p in values)
        return not hit if negated else hit

    if op.set_op == "ForAllValues":
        return all(one(i) for i in items)
    # ForAnyValue, and (as an approximation) a single-valued operator on a list.
    return any(one(i) for i in items)


class Context:
    """Condition keys of one request. Names are case-insensitive, except the part
    after kms:EncryptionContext:, which is the encryption context key itself."""

    _EC = "kms:encryptioncontext:"

    def __init__(self, values: dict[str, Any] | None = None):
        self._values: dict[str, Any] = {}
        for k, v in (values or {}).items():
            self[k] = v

    @staticmethod
    @functools.lru_cache(maxsize=4096)  # a few dozen names, plus encryption context keys
    def _norm(key: str) -> str:
        low = key.lower()
        if low.startswith(Context._EC):
            return Context._EC + key[len(Context._EC):]
        return low

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[self._norm(key)] = value

    def get(self, key: str) -> Any:
        return self._values.get(self._norm(key), _MISSING)

    def items(self):
        return self._values.items()

    def hiding(self, names: tuple[str, ...]) -> "Context":
        """This context without `names` (keys a kind of policy never sees); itself if it has none."""
        hidden = [self._norm(n) for n in names if self._norm(n) in self._values]
        if not hidden:
            return self
        view = Context()
        view._values = {k: v for k, v in self._values.items() if k not in hidden}
        return view

    def __repr__(self) -> str:
        return f"Context({self._values!r})"
