"""Parameter Store tiers: how much one parameter value may hold.

moto 5.2 stores a parameter value of any length in any tier. AWS (Systems Manager User
Guide, parameter-store-advanced-parameters.html; botocore's SSM model, PutParameter
Value and Tier; sources: parameter-store):

- a Standard parameter holds at most 4 KB; a longer value is refused with
  ValidationException "Standard tier parameters support a maximum parameter value of
  4096 characters. ..." (AWS's message, as quoted in public reports of the error);
- an Advanced parameter holds at most 8 KB (the message for a longer one is the
  sandbox's wording, in the same form);
- Intelligent-Tiering makes a parameter Standard when it fits, Advanced when it does not,
  and PutParameter reports the tier it chose;
- without Tier, a new parameter gets the Region's default tier (Standard unless changed)
  and an overwritten one keeps its tier.

Values are counted in characters, as AWS's message counts them. The check runs before
anything is stored or any KMS request is made (ssm_secure encrypts inside moto's
put_parameter).
"""
from __future__ import annotations

import functools
import inspect

STANDARD_MAX = 4096          # sources: parameter-store (standard_chars)
ADVANCED_MAX = 8 * 1024      # sources: parameter-store (advanced_kb)
GUIDE = "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"

TOO_BIG = {
    "Standard": (f"Standard tier parameters support a maximum parameter value of {STANDARD_MAX} characters. "
                 "To create a larger parameter value, upgrade the parameter to use the advanced-parameter "
                 f"tier. For more information, see {GUIDE}"),
    "Advanced": (f"Advanced tier parameters support a maximum parameter value of {ADVANCED_MAX} characters. "
                 f"For more information, see {GUIDE}"),
}


def tier_for(requested: str | None, value: str | None, previous: str | None, default: str) -> str:
    """The tier a PutParameter request ends in: Standard or Advanced."""
    tier = requested or previous or default
    if tier == "Intelligent-Tiering":
        return "Standard" if len(value or "") <= STANDARD_MAX else "Advanced"
    return tier


def check(tier: str, value: str | None) -> None:
    """ValidationException when `value` is too long for `tier`."""
    from moto.ssm.exceptions import ValidationException

    limit = STANDARD_MAX if tier == "Standard" else ADVANCED_MAX
    if value is not None and len(value) > limit:
        raise ValidationException(TOO_BIG.get(tier, TOO_BIG["Advanced"]))


def _install() -> None:
    from moto.ssm.models import SimpleSystemManagerBackend

    if getattr(SimpleSystemManagerBackend, "_kmslab_tiers", False):
        return
    SimpleSystemManagerBackend._kmslab_tiers = True
    put_parameter = SimpleSystemManagerBackend.put_parameter
    signature = inspect.signature(put_parameter)

    @functools.wraps(put_parameter)
    def put_parameter_in_its_tier(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        p = bound.arguments
        versions = dict.get(self._parameters, p["name"]) or []   # plain dict access: no lazy loading
        previous = versions[-1] if versions and p.get("overwrite") else None
        tier = tier_for(p.get("tier"), p.get("value"), getattr(previous, "tier", None),
                        self.default_parameter_tier)
        check(tier, p.get("value"))
        if p.get("tier") is not None or previous is None:
            p["tier"] = tier
        return put_parameter(*bound.args, **bound.kwargs)

    SimpleSystemManagerBackend.put_parameter = put_parameter_in_its_tier


_install()
