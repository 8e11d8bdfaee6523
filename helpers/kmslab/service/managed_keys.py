"""AWS managed keys: alias/aws/s3, aws/ebs, aws/ssm, aws/secretsmanager, ...

AWS (sources: aws-managed-keys, aws-managed-key-policy, aws-managed-key-rotation, multi-region-key-limits):
- they live in the account, are created by the service on first use, and describe
  as KeyManager AWS; they are single-Region symmetric keys;
- their key policy lets any principal of the account use them only through the
  owning service (kms:ViaService + kms:CallerAccount) and gives the account only
  Describe*/Get*/List* (+RevokeGrant). That policy is what refuses direct use,
  DisableKey, ScheduleKeyDeletion, PutKeyPolicy and RotateKeyOnDemand (enforced by
  the AUTHORIZE stage, service/authorization.py);
- they rotate every year, which cannot be changed (sources: aws-managed-key-rotation);
- the alias/aws/ prefix is reserved: CreateAlias/UpdateAlias/DeleteAlias refuse it.

moto creates a CUSTOMER "Default key" on first use of a reserved alias; here
`_generate_default_keys` is replaced so the key is AWS managed.
"""
from __future__ import annotations

import json

from .. import clock
from . import dispatch, keys, rotation
from .errors import KmsError

# alias -> (service endpoint prefix for kms:ViaService, service name in the policy Sid,
#           does the service create grants, description)
SERVICES = {
    "alias/aws/s3": ("s3", "S3", False, "Default key that protects my S3 objects when no other key is defined"),
    "alias/aws/ebs": ("ec2", "EBS", True, "Default key that protects my EBS volumes when no other key is defined"),
    "alias/aws/ssm": ("ssm", "AWS Systems Manager", False, "Default key that protects my SSM parameters when no other key is defined"),
    "alias/aws/secretsmanager": ("secretsmanager", "AWS Secrets Manager", True, "Default key that protects my Secrets Manager data when no other key is defined"),
    "alias/aws/rds": ("rds", "RDS", True, "Default key that protects my RDS database volumes when no other key is defined"),
    "alias/aws/dynamodb": ("dynamodb", "Amazon DynamoDB", True, "Default key that protects my DynamoDB data when no other key is defined"),
    "alias/aws/lambda": ("lambda", "AWS Lambda", True, "Default key that protects my Lambda functions when no other key is defined"),
    "alias/aws/acm": ("acm", "AWS Certificate Manager", True, "Default key that protects my ACM private keys when no other key is defined"),
    "alias/aws/elasticfilesystem": ("elasticfilesystem", "EFS", True, "Default key that protects my EFS filesystems when no other key is defined"),
    "alias/aws/es": ("es", "Amazon Elasticsearch Service", True, "Default key that protects my Elasticsearch data when no other key is defined"),
    "alias/aws/glue": ("glue", "AWS Glue", True, "Default key that protects my Glue data when no other key is defined"),
    "alias/aws/kinesisvideo": ("kinesisvideo", "Kinesis Video Streams", True, "Default key that protects my Kinesis Video Streams data when no other key is defined"),
    "alias/aws/redshift": ("redshift", "Redshift", True, "Default key that protects my Redshift data when no other key is defined"),
    "alias/aws/xray": ("xray", "AWS X-Ray", True, "Default key that protects my X-Ray data when no other key is defined"),
}
RESERVED_PREFIX = "alias/aws/"
YEARLY = 365  # sources: aws-managed-key-rotation


def policy(alias: str, account_id: str, region: str) -> str:
    """The AWS managed key policy shape (sources: aws-managed-key-policy)."""
    endpoint, name, grants, _ = SERVICES[alias]
    use = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]
    use += ["kms:CreateGrant", "kms:DescribeKey"] if grants else ["kms:DescribeKey"]
    metadata = ["kms:Describe*", "kms:Get*", "kms:List*"] + (["kms:RevokeGrant"] if grants else [])
    return json.dumps({
        "Version": "2012-10-17",
        "Id": f"auto-{alias.rsplit('/', 1)[1]}-2",
        "Statement": [
            {"Sid": f"Allow access through {name} for all principals in the account that are "
                    f"authorized to use {name}",
             "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": use, "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": account_id,
                                            "kms:ViaService": f"{endpoint}.{region}.amazonaws.com"}}},
            {"Sid": "Allow direct access to key metadata to the account",
             "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
             "Action": metadata, "Resource": "*"},
        ],
    }, indent=2)


def is_aws_managed(key) -> bool:
    return getattr(key, "key_manager", "CUSTOMER") == "AWS"


def create(backend, alias: str):
    """Create the AWS managed key behind `alias` in this account and Region."""
    _, _, _, description = SERVICES[alias]
    key = backend.create_key(policy(alias, backend.account_id, backend.region_name),
                             "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", description, None)
    key.key_manager = "AWS"
    rotation.enable(key, YEARLY, clock.current().now())
    backend.create_alias(key.id, alias)
    return key


def _generate_default_keys(self, alias_name: str) -> str | None:
    if alias_name not in SERVICES:
        return None
    return create(self, alias_name).id


def _reserved(name: str | None) -> bool:
    if not name:
        return False
    if name.startswith("arn:") and ":alias/" in name:
        name = "alias/" + name.split(":alias/", 1)[1]
    return name.startswith(RESERVED_PREFIX)


@dispatch.before(dispatch.VALIDATE, "aws-managed-aliases")
def reserved_aliases(call: dispatch.KmsCall) -> None:
    """The alias/aws/ prefix belongs to AWS managed keys (sources: aws-managed-keys)."""
    if call.operation in ("CreateAlias", "UpdateAlias", "DeleteAlias") and _reserved(call.params.get("AliasName")):
        raise KmsError("NotAuthorizedException",
                       "The alias/aws/ prefix is reserved for AWS managed keys.")


@dispatch.operation("ListAliases")
def list_aliases(call: dispatch.KmsCall) -> dict:
    """Predefined aws/ aliases not yet backing a key are listed without TargetKeyId (API_ListAliases)."""
    result = dispatch.moto_operation(call)
    store = keys.backend(*(call.key_owner or (call.account_id, call.region)))
    shown = []
    for alias in result.get("Aliases", []):
        if alias["AliasName"].startswith(RESERVED_PREFIX) and alias.get("TargetKeyId") not in store.keys:
            if call.params.get("KeyId"):
                continue
            alias = {k: v for k, v in alias.items() if k != "TargetKeyId"}
        shown.append(alias)
    result["Aliases"] = shown
    return result


def install() -> None:
    from moto.kms.models import KmsBackend

    KmsBackend._generate_default_keys = _generate_default_keys


install()
