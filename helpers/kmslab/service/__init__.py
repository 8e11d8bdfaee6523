"""What AWS does and moto lacks, added inside moto's mocked services.

`install()` patches moto once per process. Every client then sees the same
behaviour: boto3 in-process, the local endpoint, the AWS Encryption SDK, and
AWS services in the sandbox that call KMS on a caller's behalf.
"""
from __future__ import annotations

import importlib
import importlib.abc
import sys

_installed = False

# moto services the suite always uses, imported up front (each takes well under 0.2 s).
MOTO_MODULES = ("kms", "s3", "iam", "sts", "secretsmanager")

# The sandbox's own rules, one module per subject. Importing a module registers
# its stages and operations with `dispatch`. Order matters only within a priority.
RULE_MODULES = (
    "authentication",                          # SigV4 of the sandbox's own keys, every service
    "audit",                                   # the CloudTrail-shaped record of every request
    "keys", "key_state", "key_usage", "key_metadata", "key_specs", "managed_keys", "aliases", "tags",
    "encryption", "asymmetric", "signing", "data_key_pairs", "shared_secrets",
    "attestation",                             # Recipient (Nitro attestation) refused, not ignored
    "rotation", "key_import", "multi_region", "custom_key_stores",
    "key_last_usage",                          # after "audit": reads the request's record
    "identity", "authorization", "key_policies", "grants",
    "iam_authorization",                       # IAM, STS AssumeRole, CloudTrail LookupEvents
    "quotas",
    "s3_encryption", "s3_bucket_policy",
    "secrets_encryption",                      # Secrets Manager values through KMS (sources: secrets-manager)
    "secrets_access",                          # resource policies; secrets read across accounts
)

# Rules for moto services that are slow to import (moto's EC2 models, which SSM also
# loads, take about 2 s). They are applied the moment moto first imports the service,
# so a lesson that never touches EC2 or SSM does not pay for them.
DEFERRED_RULES = {
    "moto.ec2.models": ("ebs_encryption",),
    "moto.ssm.models": ("ssm_secure", "ssm_tiers"),
    "moto.sns.models": ("sns_delivery",),
}


class _RulesAfterImport(importlib.abc.MetaPathFinder):
    """Import a deferred rule module right after moto finishes importing its service."""

    def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
        rules = DEFERRED_RULES.get(name)
        if rules is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        run_module = spec.loader.exec_module

        def exec_module(module):  # type: ignore[no-untyped-def]
            run_module(module)
            _apply(rules)

        spec.loader.exec_module = exec_module
        return spec


def _apply(rules: tuple[str, ...]) -> None:
    for name in rules:
        importlib.import_module(f"{__name__}.{name}")


def install() -> None:
    """Apply every sandbox rule to moto (idempotent)."""
    global _installed
    if _installed:
        return
    from . import dispatch, moto_time, resets

    for name in MOTO_MODULES:
        importlib.import_module(f"moto.{name}.models")
        importlib.import_module(f"moto.{name}.responses")
    # Bind the clock first: services imported later pick up the patched utcnow.
    moto_time.install()
    _apply(RULE_MODULES)
    for module, rules in DEFERRED_RULES.items():
        if module in sys.modules:
            _apply(rules)
    sys.meta_path.insert(0, _RulesAfterImport())
    dispatch.install()
    resets.install()
    _installed = True
