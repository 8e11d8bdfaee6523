"""The audit trail (sources: cloudtrail-logging, encryption-context): CloudTrail LookupEvents through plain boto3 clients."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from kmslab.teach import audit as teach_audit


@pytest.fixture(scope="module")
def key_arn(kms):
    return kms.create_key(Description="audit test")["KeyMetadata"]["Arn"]


def records(ct, **attribute):
    kwargs = {}
    if attribute:
        (k, v), = attribute.items()
        kwargs["LookupAttributes"] = [{"AttributeKey": k, "AttributeValue": v}]
    return [json.loads(e["CloudTrailEvent"]) for e in ct.lookup_events(**kwargs)["Events"]]


def test_every_request_is_a_cloudtrail_record(kms, ct, key_arn):
    kms.encrypt(KeyId=key_arn, Plaintext=b"x", EncryptionContext={"purpose": "audit"})
    record = records(ct, EventName="Encrypt")[0]
    assert record["eventSource"] == "kms.amazonaws.com" and record["eventName"] == "Encrypt"
    assert record["userIdentity"]["arn"] == "arn:aws:iam::123456789012:root"
    assert record["resources"] == [{"accountId": "123456789012", "type": "AWS::KMS::Key", "ARN": key_arn}]
    assert record["requestParameters"]["encryptionContext"] == {"purpose": "audit"}
    assert record["requestParameters"]["keyId"] == key_arn
    assert "plaintext" not in json.dumps(record).lower()
    assert "errorCode" not in record


def test_failed_calls_are_recorded_with_error_code(kms, ct):
    with pytest.raises(ClientError):
        kms.encrypt(KeyId="alias/not-there", Plaintext=b"x")
    record = records(ct, EventName="Encrypt")[0]
    assert record["errorCode"] == "NotFoundException" and record["errorMessage"]


def test_lookup_attributes_newest_first_and_paging(kms, ct, key_arn):
    for _ in range(3):
        kms.describe_key(KeyId=key_arn)
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": key_arn}],
                              MaxResults=2)
    assert len(events["Events"]) == 2 and events["NextToken"]
    times = [e["EventTime"] for e in ct.lookup_events()["Events"]]
    assert times == sorted(times, reverse=True)
    assert all(e["ReadOnly"] == "true" for e in ct.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "DescribeKey"}])["Events"])
    with pytest.raises(ClientError):
        ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "A"},
                                           {"AttributeKey": "EventName", "AttributeValue": "B"}])


def test_events_are_per_region(sb, kms, ct):
    kms.list_keys()
    other = sb.client("cloudtrail", region="eu-west-1")
    assert all(e["EventName"] != "ListKeys" for e in other.lookup_events()["Events"])


def test_service_calls_show_the_service(sb, ct):
    s3 = sb.client("s3")
    s3.create_bucket(Bucket="kmslab-audit")
    s3.put_object(Bucket="kmslab-audit", Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    record = records(ct, EventName="GenerateDataKey")[0]
    assert record["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
    assert record["sourceIPAddress"] == "s3.amazonaws.com"
    assert record["userIdentity"]["accessKeyId"]


def test_reset_clears_the_trail(sb, ct):
    sb.reset()
    assert ct.lookup_events()["Events"] == []


def test_teach_table(sb, kms, ct):
    sb.reset()
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"dept": "hr"})
    lines = teach_audit.table(ct).splitlines()
    assert lines[0].split() == ["eventName", "caller", "key", "context", "errorCode"]
    assert lines[1].split() == ["CreateKey", "root", key[:8], "-", "-"]
    assert lines[2].split() == ["Encrypt", "root", key[:8], "dept=hr", "-"]


def test_local_endpoint_lookup_events(endpoint):
    def client(name):
        return boto3.client(name, endpoint_url=endpoint.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    events = client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}])["Events"]
    assert any(r["ResourceName"] == key for e in events for r in e["Resources"])


# -- readOnly, as AWS logs it (issue 13 §2.1) ------------------------------------------------
# AWS's example records: https://docs.aws.amazon.com/kms/latest/developerguide/ct-encrypt.html and the
# neighbouring ct-*.html pages. Cryptographic operations and reads are "readOnly": true; management
# writes (including grant changes) are false.
READ_ONLY_EXAMPLES = {
    "cryptographic": [("Encrypt", True), ("Decrypt", True), ("GenerateDataKey", True),
                      ("GenerateDataKeyWithoutPlaintext", True), ("ReEncrypt", True), ("GenerateRandom", True)],
    "read": [("DescribeKey", True), ("GetKeyPolicy", True), ("ListAliases", True), ("ListGrants", True),
             ("GetKeyRotationStatus", True)],
    "management write": [("CreateKey", False), ("EnableKeyRotation", False), ("DisableKey", False),
                         ("EnableKey", False), ("PutKeyPolicy", False), ("CreateAlias", False),
                         ("ScheduleKeyDeletion", False), ("CancelKeyDeletion", False), ("TagResource", False)],
    "grant": [("CreateGrant", False), ("RetireGrant", False), ("RevokeGrant", False)],
}


def _run_every_example(kms, sb):
    arn = kms.create_key(Description="readOnly")["KeyMetadata"]["Arn"]
    blob = kms.encrypt(KeyId=arn, Plaintext=b"x")["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob)
    kms.generate_data_key(KeyId=arn, KeySpec="AES_256")
    kms.generate_data_key_without_plaintext(KeyId=arn, KeySpec="AES_256")
    kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=arn)
    kms.generate_random(NumberOfBytes=8)
    kms.describe_key(KeyId=arn)
    kms.get_key_policy(KeyId=arn)
    kms.list_aliases()
    kms.list_grants(KeyId=arn)
    kms.get_key_rotation_status(KeyId=arn)
    kms.enable_key_rotation(KeyId=arn)
    kms.disable_key(KeyId=arn)
    kms.enable_key(KeyId=arn)
    kms.put_key_policy(KeyId=arn, Policy=kms.get_key_policy(KeyId=arn)["Policy"])
    kms.create_alias(AliasName="alias/read-only-test", TargetKeyId=arn)
    kms.tag_resource(KeyId=arn, Tags=[{"TagKey": "k", "TagValue": "v"}])
    grantee = f"arn:aws:iam::{sb.account_id}:root"
    g1 = kms.create_grant(KeyId=arn, GranteePrincipal=grantee, Operations=["Decrypt"])
    kms.retire_grant(KeyId=arn, GrantId=g1["GrantId"])
    g2 = kms.create_grant(KeyId=arn, GranteePrincipal=grantee, Operations=["Decrypt"])
    kms.revoke_grant(KeyId=arn, GrantId=g2["GrantId"])
    kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=arn)


@pytest.mark.parametrize("kind", sorted(READ_ONLY_EXAMPLES))
def test_read_only_as_aws_logs_it(fresh_sb, kind):
    fresh_sb.reset()
    kms, ct = fresh_sb.client("kms"), fresh_sb.client("cloudtrail")
    _run_every_example(kms, fresh_sb)
    for name, expected in READ_ONLY_EXAMPLES[kind]:
        found = records(ct, EventName=name)
        assert found, name
        assert {r["readOnly"] for r in found} == {expected}, name
        assert {e["ReadOnly"] for e in ct.lookup_events(LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": name}])["Events"]} == {str(expected).lower()}


def test_every_kms_operation_has_a_read_only_class():
    """Each operation of botocore's KMS model is classified, and the writes are real operations."""
    import botocore.session

    from kmslab.service import audit

    names = set(botocore.session.get_session().get_service_model("kms").operation_names)
    assert audit.WRITE_OPERATIONS <= names
    assert audit.read_only("Sign") and audit.read_only("GetParametersForImport")
    assert not audit.read_only("ImportKeyMaterial") and not audit.read_only("UpdatePrimaryRegion")


# -- bounded, and safe under threads (issue 15 §4) ---------------------------------------------
def test_the_trail_keeps_a_bounded_number_of_events(fresh_sb):
    from kmslab.service import audit
    from kmslab.teach import audit as teach

    fresh_sb.reset()
    kms = fresh_sb.client("kms")
    try:
        teach.retain(5)
        for _ in range(12):
            kms.list_keys()
        kept = audit.events()
        assert len(kept) == 5                       # oldest dropped first, like a retention period
        assert audit.recorded() == 12               # the count of requests is not lost
        ids = [e["eventID"] for e in kept]
        assert len(set(ids)) == 5
        with pytest.raises(ValueError):
            teach.retain(0)
        teach.retain(20)                            # a lesson may raise the bound
        for _ in range(10):
            kms.list_keys()
        assert len(audit.events()) == 15
    finally:
        teach.retain(audit.DEFAULT_MAX_EVENTS)


def test_counter_counts_even_when_the_trail_is_full(fresh_sb):
    from kmslab.service import audit
    from kmslab.teach import audit as teach
    from kmslab.teach.mitigations import Counter

    kms = fresh_sb.client("kms")
    try:
        teach.retain(3)
        for _ in range(5):
            kms.list_keys()
        with Counter("ListKeys") as calls:
            kms.list_keys()
            kms.list_keys()
        assert calls.count == 2
    finally:
        teach.retain(audit.DEFAULT_MAX_EVENTS)


def test_event_ids_are_unique_under_threads(fresh_sb):
    import sys
    import threading

    from kmslab.service import audit

    clients = [fresh_sb.client("kms") for _ in range(8)]
    before = audit.recorded()
    start = threading.Barrier(len(clients))

    def work(client):
        start.wait()
        for _ in range(25):
            client.list_keys()

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)      # switch threads as often as possible: races show up at once
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    events = audit.events(event_name="ListKeys", after=before)
    assert len(events) == 200
    assert len({e["eventID"] for e in events}) == 200
    assert len({e["requestID"] for e in events}) == 200
