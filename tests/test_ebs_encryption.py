"""EBS encryption really uses KMS (service/ebs_encryption.py), through boto3 EC2 clients:
volumes, snapshots, copies to another Region and sharing with another account (sources: snapshot-copy-region, snapshot-copy-key, snapshot-full-copy, snapshot-sharing, shared-snapshot-copy)."""
import json

import pytest
from botocore.exceptions import ClientError

from kmslab import sandbox
from kmslab.teach import cast

WEST = "us-west-2"


@pytest.fixture(scope="module")
def world():
    sb = sandbox.start()
    people = cast.build(sb)
    org = sb.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{people.second_account}:role/OrganizationAccountAccessRole",
        RoleSessionName="setup")["Credentials"]
    iam_b = sb.client("iam", access_key=org["AccessKeyId"], secret_key=org["SecretAccessKey"],
                      session_token=org["SessionToken"])
    b_admin = cast._user(sb, iam_b, people.second_account, "b-admin", cast._ALLOW_ALL)
    yield sb, people, b_admin
    sb.stop()


def _snapshot(ec2, snapshot_id):
    return ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]


def _encrypted_snapshot(sb, key_id=None):
    ec2 = sb.client("ec2")
    extra = {"KmsKeyId": key_id} if key_id else {}
    vol = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a", Encrypted=True, **extra)
    return vol, ec2.create_snapshot(VolumeId=vol["VolumeId"])


def test_default_key_is_aws_managed_and_snapshot_keeps_it(world):
    sb, _, _ = world
    vol, snap = _encrypted_snapshot(sb)
    meta = sb.client("kms").describe_key(KeyId=vol["KmsKeyId"])["KeyMetadata"]
    assert meta["KeyManager"] == "AWS" and meta["Arn"] == vol["KmsKeyId"]
    assert snap["Encrypted"] and snap["KmsKeyId"] == vol["KmsKeyId"]


def test_volume_asks_kms_for_a_data_key(world):
    sb, _, _ = world
    kms = sb.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=key["KeyId"])
    vol = sb.client("ec2").create_volume(Size=8, AvailabilityZone="us-east-1a", Encrypted=True,
                                         KmsKeyId=key["KeyId"])
    assert vol["State"] == "error" and vol["KmsKeyId"] == key["Arn"]
    kms.enable_key(KeyId=key["KeyId"])
    ok = sb.client("ec2").create_volume(Size=8, AvailabilityZone="us-east-1a", Encrypted=True,
                                        KmsKeyId=key["KeyId"])
    assert ok["State"] == "available"


def test_copy_to_another_region_uses_a_key_there(world):
    sb, _, _ = world
    kms_w, ec2_w = sb.client("kms", region=WEST), sb.client("ec2", region=WEST)
    source_key = sb.client("kms").create_key()["KeyMetadata"]
    _, snap = _encrypted_snapshot(sb, source_key["KeyId"])
    west_key = kms_w.create_key()["KeyMetadata"]
    copy = ec2_w.copy_snapshot(SourceSnapshotId=snap["SnapshotId"], SourceRegion="us-east-1",
                               Encrypted=True, KmsKeyId=west_key["Arn"])
    got = _snapshot(ec2_w, copy["SnapshotId"])
    assert got["State"] == "completed" and got["KmsKeyId"] == west_key["Arn"]
    vol = ec2_w.create_volume(SnapshotId=copy["SnapshotId"], AvailabilityZone="us-west-2a")
    assert vol["State"] == "available" and vol["Encrypted"] and vol["KmsKeyId"] == west_key["Arn"]
    # a key of the source Region cannot encrypt in the destination Region (sources: keys-are-regional, snapshot-copy-key)
    bad = ec2_w.copy_snapshot(SourceSnapshotId=snap["SnapshotId"], SourceRegion="us-east-1",
                              Encrypted=True, KmsKeyId=source_key["Arn"])
    got = _snapshot(ec2_w, bad["SnapshotId"])
    assert got["State"] == "error" and got["StateMessage"].startswith("NotFoundException")
    # without KmsKeyId: the destination Region's default EBS key
    default = ec2_w.copy_snapshot(SourceSnapshotId=snap["SnapshotId"], SourceRegion="us-east-1")
    assert _snapshot(ec2_w, default["SnapshotId"])["KmsKeyId"] == \
        kms_w.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"]


def test_snapshots_under_aws_ebs_cannot_be_shared(world):
    sb, people, _ = world
    _, snap = _encrypted_snapshot(sb)
    with pytest.raises(ClientError) as err:
        sb.client("ec2").modify_snapshot_attribute(
            SnapshotId=snap["SnapshotId"], Attribute="createVolumePermission", OperationType="add",
            UserIds=[people.second_account])
    assert err.value.response["Error"]["Code"] == "OperationNotPermitted"


def test_cross_account_share_needs_each_step(world):
    sb, people, b_admin = world
    kms, ec2 = sb.client("kms"), sb.client("ec2")
    key = kms.create_key()["KeyMetadata"]
    _, snap = _encrypted_snapshot(sb, key["KeyId"])
    ec2_b, kms_b = b_admin.client("ec2"), b_admin.client("kms")
    b_key = kms_b.create_key()["KeyMetadata"]

    def copy():
        return ec2_b.copy_snapshot(SourceSnapshotId=snap["SnapshotId"], SourceRegion="us-east-1",
                                   Encrypted=True, KmsKeyId=b_key["Arn"])["SnapshotId"]

    with pytest.raises(ClientError) as err:  # not shared yet
        copy()
    assert err.value.response["Error"]["Code"] == "InvalidSnapshot.NotFound"
    ec2.modify_snapshot_attribute(SnapshotId=snap["SnapshotId"], Attribute="createVolumePermission",
                                  OperationType="add", UserIds=[people.second_account])
    failed = _snapshot(ec2_b, copy())  # shared, but the key policy does not allow account B
    assert failed["State"] == "error" and "kms:Decrypt" in failed["StateMessage"]
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    policy["Statement"].append({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{people.second_account}:root"},
                                "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncrypt*",
                                           "kms:GenerateDataKey*", "kms:CreateGrant"], "Resource": "*"})
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    ok = _snapshot(ec2_b, copy())
    assert ok["State"] == "completed" and ok["OwnerId"] == people.second_account
    assert ok["KmsKeyId"] == b_key["Arn"]
    vol = ec2_b.create_volume(SnapshotId=ok["SnapshotId"], AvailabilityZone="us-east-1a")
    assert vol["State"] == "available" and vol["KmsKeyId"] == b_key["Arn"]


def test_kms_calls_are_made_via_ec2(world):
    sb, _, _ = world
    key = sb.client("kms").create_key()["KeyMetadata"]
    _encrypted_snapshot(sb, key["KeyId"])
    events = sb.client("cloudtrail").lookup_events(LookupAttributes=[
        {"AttributeKey": "ResourceName", "AttributeValue": key["Arn"]}])["Events"]
    names = {e["EventName"] for e in events}
    assert "GenerateDataKeyWithoutPlaintext" in names
