"""Alias names: the rules AWS checks before it looks at the key an alias points to.

AWS (https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html,
https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html):
- an alias name is "alias/" followed by a name; the front door checks length (1-256) and
  the characters against the model's pattern;
- a name without the prefix is refused with AWS's own message, which points to the guide;
- "alias/" with nothing after it is not a valid alias name (InvalidAliasNameException,
  which the API reference documents for this case: "the specified alias name is not valid").
The reserved alias/aws/ prefix is AWS managed keys' business (managed_keys.py).
"""
from __future__ import annotations

from . import dispatch
from .errors import KmsError

PREFIX = "alias/"
_NAMED = ("CreateAlias", "UpdateAlias", "DeleteAlias")
NO_PREFIX = ('Alias must start with the prefix "alias/". Please see '
             "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")


@dispatch.before(dispatch.RESOLVE - 1, "alias-names")
def check_alias_name(call: dispatch.KmsCall) -> None:
    if call.operation not in _NAMED:
        return
    name = call.params.get("AliasName") or ""
    if not name.startswith(PREFIX):
        raise KmsError("ValidationException", NO_PREFIX)
    if name == PREFIX:
        raise KmsError("InvalidAliasNameException",
                       "The request was rejected because the specified alias name is not valid.")
