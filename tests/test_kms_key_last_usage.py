"""GetKeyLastUsage (API_GetKeyLastUsage): the last successful cryptographic operation on a key,
with the CloudTrail event that recorded it."""
from __future__ import annotations

from kms_helpers import error_code


def test_a_new_key_has_no_usage_and_tracking_starts_at_creation(kms):
    meta = kms.create_key()["KeyMetadata"]
    usage = kms.get_key_last_usage(KeyId=meta["Arn"])
    assert usage["KeyId"] == meta["KeyId"] and usage["KeyLastUsage"] == {}
    assert usage["TrackingStartDate"] == usage["KeyCreationDate"] == meta["CreationDate"]


def test_the_last_successful_operation_and_its_cloudtrail_event(sb, kms, ct):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    sb.clock.advance(90)
    kms.decrypt(CiphertextBlob=blob)
    error_code(kms.decrypt, CiphertextBlob=blob, EncryptionContext={"wrong": "context"})  # failures do not count
    kms.describe_key(KeyId=key)  # not a cryptographic operation
    last = kms.get_key_last_usage(KeyId=key)["KeyLastUsage"]
    assert last["Operation"] == "Decrypt"
    assert last["Timestamp"].timestamp() == sb.clock.time()
    event = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventId",
                                                "AttributeValue": last["CloudTrailEventId"]}])["Events"][0]
    assert event["EventName"] == "Decrypt"
    assert event["CloudTrailEvent"].count(last["KmsRequestId"]) == 1


def test_re_encrypt_counts_for_both_keys(kms):
    source, destination = (kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2))
    blob = kms.encrypt(KeyId=source, Plaintext=b"x")["CiphertextBlob"]
    kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination)
    for key in (source, destination):
        assert kms.get_key_last_usage(KeyId=key)["KeyLastUsage"]["Operation"] == "ReEncrypt"


def test_aliases_are_not_accepted(kms):
    kms.create_alias(AliasName="alias/last-usage", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    assert error_code(kms.get_key_last_usage, KeyId="alias/last-usage")[0] == "NotFoundException"


def test_replicas_track_their_own_usage(sb, kms):
    key = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key, Plaintext=b"x")
    kms.replicate_key(KeyId=key, ReplicaRegion="eu-west-1")
    west = sb.client("kms", region="eu-west-1")
    assert west.get_key_last_usage(KeyId=key)["KeyLastUsage"] == {}
    assert kms.get_key_last_usage(KeyId=key)["KeyLastUsage"]["Operation"] == "Encrypt"
