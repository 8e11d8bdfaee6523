"""Multi-Region keys share material and nothing else (sources: multi-region-keys)."""
import pytest

from kms_helpers import error_code

from kmslab.service.multi_region import REPLICA_CREATION_SECONDS


@pytest.fixture(scope="module")
def pair(sb, kms):
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    replica = kms.replicate_key(KeyId=primary["Arn"], ReplicaRegion="eu-west-1")["ReplicaKeyMetadata"]
    sb.clock.advance(REPLICA_CREATION_SECONDS)  # the replica is Creating until the clock moves on
    return primary, replica, sb.client("kms", region="eu-west-1")


def test_ciphertext_crosses_regions_both_ways(kms, pair):
    primary, replica, west = pair
    blob = kms.encrypt(KeyId=primary["KeyId"], Plaintext=b"p", EncryptionContext={"a": "b"})["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["KeyId"] == replica["Arn"]
    back = west.encrypt(KeyId=replica["Arn"], Plaintext=b"r")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=back)["Plaintext"] == b"r"


def test_describing_replica_leaves_primary_alone(kms, pair):
    primary, replica, west = pair
    assert west.describe_key(KeyId=replica["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"][
        "MultiRegionKeyType"] == "REPLICA"
    assert kms.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"][
        "MultiRegionKeyType"] == "PRIMARY"


def test_rotation_on_primary_reaches_replica(kms, pair):
    primary, replica, west = pair
    kms.rotate_key_on_demand(KeyId=primary["KeyId"])
    blob = kms.encrypt(KeyId=primary["KeyId"], Plaintext=b"after")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=blob)["Plaintext"] == b"after"
    assert error_code(west.rotate_key_on_demand, KeyId=replica["KeyId"])[0] == "UnsupportedOperationException"


def test_aliases_and_state_are_per_key(kms, pair):
    primary, replica, west = pair
    kms.create_alias(AliasName="alias/mrk-primary", TargetKeyId=primary["KeyId"])
    assert "alias/mrk-primary" not in [a["AliasName"] for a in west.list_aliases()["Aliases"]]
    west.disable_key(KeyId=replica["KeyId"])
    assert kms.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    west.enable_key(KeyId=replica["KeyId"])


def test_replicate_needs_a_multi_region_key(kms):
    key = kms.create_key()["KeyMetadata"]
    assert error_code(kms.replicate_key, KeyId=key["KeyId"], ReplicaRegion="eu-west-1")[0] == \
        "UnsupportedOperationException"


def test_update_primary_region_swaps_primary_and_replica(sb, kms):
    """API_UpdatePrimaryRegion: the replica becomes primary; rotation follows the primary."""
    west = sb.client("kms", region="eu-west-1")
    key = kms.create_key(MultiRegion=True)["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=180)
    west_arn = kms.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")["ReplicaKeyMetadata"]["Arn"]
    sb.clock.advance(REPLICA_CREATION_SECONDS)
    assert kms.update_primary_region(KeyId=key["Arn"], PrimaryRegion="eu-west-1")["ResponseMetadata"]
    config = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert config["MultiRegionKeyType"] == "REPLICA"
    assert config["PrimaryKey"] == {"Arn": west_arn, "Region": "eu-west-1"}
    assert config["ReplicaKeys"] == [{"Arn": key["Arn"], "Region": "us-east-1"}]
    assert west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"][
        "MultiRegionKeyType"] == "PRIMARY"
    assert west.get_key_rotation_status(KeyId=key["KeyId"])["RotationPeriodInDays"] == 180
    assert error_code(kms.rotate_key_on_demand, KeyId=key["KeyId"])[0] == "UnsupportedOperationException"
    west.rotate_key_on_demand(KeyId=key["KeyId"])
    # the old primary is a replica now: it cannot name itself primary again, the new one can
    assert error_code(kms.update_primary_region, KeyId=key["KeyId"],
                      PrimaryRegion="eu-west-1")[0] == "UnsupportedOperationException"
    west.update_primary_region(KeyId=key["KeyId"], PrimaryRegion="us-east-1")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"][
        "MultiRegionKeyType"] == "PRIMARY"


def test_update_primary_region_needs_a_replica_there(kms):
    key = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    assert error_code(kms.update_primary_region, KeyId=key, PrimaryRegion="ap-south-1")[0] == "NotFoundException"
    single = kms.create_key()["KeyMetadata"]["KeyId"]
    assert error_code(kms.update_primary_region, KeyId=single,
                      PrimaryRegion="eu-west-1")[0] == "UnsupportedOperationException"
