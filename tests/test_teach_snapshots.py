"""teach.snapshots: the second-account admin, snapshot summaries and the procedures figure."""
from kmslab import sandbox
from kmslab.teach import cast, snapshots


def test_admin_in_b_describe_and_figure():
    sb = sandbox.start()
    try:
        people = cast.build(sb)
        admin = snapshots.second_account_admin(sb, people)
        assert admin.account == people.second_account
        key = admin.client("kms").create_key()["KeyMetadata"]          # allowed by its IAM policy in B
        assert key["Arn"].split(":")[4] == people.second_account
        ec2 = admin.client("ec2")
        vol = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a", Encrypted=True, KmsKeyId=key["Arn"])
        snap = ec2.create_snapshot(VolumeId=vol["VolumeId"])["SnapshotId"]
        line = snapshots.describe(ec2, snap)
        assert "state completed" in line and snapshots.short_key(key["Arn"]) in line
        assert snapshots.short_key(key["Arn"]) == f"us-east-1:{people.second_account}:key/{key['KeyId'][:8]}"
        assert len(snapshots.plot_procedures().axes) == 2
    finally:
        sb.stop()
