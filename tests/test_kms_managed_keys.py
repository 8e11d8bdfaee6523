"""AWS managed keys (sources: aws-managed-keys, aws-managed-key-policy, aws-managed-key-rotation)."""
import json

import pytest

from kms_helpers import error_code


@pytest.fixture(scope="module")
def s3_key(kms):
    return kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]


def test_describes_as_aws_managed(kms, s3_key, sb):
    assert s3_key["KeyManager"] == "AWS" and s3_key["KeyState"] == "Enabled"
    assert kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["KeyManager"] == "AWS"
    policy = json.loads(kms.get_key_policy(KeyId=s3_key["KeyId"], PolicyName="default")["Policy"])
    condition = policy["Statement"][0]["Condition"]["StringEquals"]
    assert condition == {"kms:CallerAccount": sb.account_id, "kms:ViaService": "s3.us-east-1.amazonaws.com"}


def test_rotates_yearly(kms, s3_key):
    status = kms.get_key_rotation_status(KeyId=s3_key["KeyId"])
    assert status["KeyRotationEnabled"] and status["RotationPeriodInDays"] == 365


@pytest.mark.parametrize("op,kwargs", [("disable_key", {}), ("schedule_key_deletion", {}),
                                       ("rotate_key_on_demand", {}),
                                       ("put_key_policy", {"PolicyName": "default", "Policy": "{}"})])
def test_cannot_be_managed(kms, s3_key, op, kwargs):
    code, _ = error_code(getattr(kms, op), KeyId=s3_key["KeyId"], **kwargs)
    assert code in ("AccessDeniedException", "UnsupportedOperationException")
    assert kms.describe_key(KeyId=s3_key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_aws_alias_prefix_is_reserved(kms):
    key = kms.create_key()["KeyMetadata"]
    assert error_code(kms.create_alias, AliasName="alias/aws/mine", TargetKeyId=key["KeyId"])[0] == \
        "NotAuthorizedException"


def test_unused_predefined_aliases_have_no_target(kms, s3_key):
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/aws/s3"]["TargetKeyId"] == s3_key["KeyId"]
    assert "TargetKeyId" not in aliases["alias/aws/xray"]
