"""What AWS does and moto lacks, added inside moto's mocked services.

`install()` patches moto once per process. Every client then sees the same
behaviour: boto3 in-process, the local endpoint, the AWS Encryption SDK, and
AWS services in the sandbox that call KMS on a caller's behalf.
"""
from __future__ import annotations

import importlib

_installed = False

# The moto services the suite uses, imported up front so their clocks can be bound.
MOTO_MODULES = ("kms", "s3", "ec2", "iam", "sts", "ssm", "secretsmanager")

# The sandbox's own rules, one module per subject. Importing a module registers
# its stages and operations with `dispatch`.
RULE_MODULES = ("audit", "keys", "key_state", "key_usage", "encryption", "key_metadata", "rotation", "managed_keys", "key_import", "multi_region", "asymmetric", "signing", "data_key_pairs", "quotas", "s3_encryption", "s3_bucket_policy", "ssm_secure", "identity", "authorization", "key_policies", "grants", "ebs_encryption")


def install() -> None:
    """Apply every sandbox rule to moto (idempotent)."""
    global _installed
    if _installed:
        return
    for name in MOTO_MODULES:
        importlib.import_module(f"moto.{name}.models")
        importlib.import_module(f"moto.{name}.responses")
    from . import dispatch, moto_time, resets

    for name in RULE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    dispatch.install()
    resets.install()
    moto_time.install()
    _installed = True
