"""Wildcard matching as IAM does it: `*` any run of characters, `?` one character."""
from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=2048)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def like(glob: str, value: str, ignore_case: bool = False) -> bool:
    """True when `value` matches the IAM wildcard pattern `glob`."""
    return _pattern(glob, ignore_case).match(value) is not None


# Each request asks the same few questions (this statement's pattern against kms:Encrypt and
# this key's ARN), so the answers are remembered.
@lru_cache(maxsize=8192)
def action(pattern: str, action_name: str) -> bool:
    """Actions are case-insensitive ("kms:decrypt" matches kms:Decrypt)."""
    return like(pattern, action_name, ignore_case=True)


@lru_cache(maxsize=8192)
def resource(pattern: str, arn: str) -> bool:
    """Resources are case-sensitive ARNs; `*` matches everything."""
    return like(pattern, arn)
