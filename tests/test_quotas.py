"""KMS request quotas (sources: symmetric-request-quota, asymmetric-request-quotas, other-request-quotas, quotas-count-service-requests, throttling), seen through plain boto3 clients.

Clients here use total_max_attempts=1 so botocore does not retry (and sleep):
each call is one request, and the test counts exactly what the service did.
"""
from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from kmslab.server import LocalEndpoint
from kmslab.service import quotas

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
MESSAGE = "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."


@pytest.fixture(scope="module")
def kms(sb):
    return sb.client("kms", config=NO_RETRY)


@pytest.fixture(scope="module")
def keys(kms):
    return {
        "symmetric": kms.create_key()["KeyMetadata"]["KeyId"],
        "ecc": kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"],
    }


@pytest.fixture(autouse=True)
def fresh_quotas():
    quotas.reset()
    yield
    quotas.reset()


def throttled(fn, **kwargs) -> bool:
    try:
        fn(**kwargs)
        return False
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ThrottlingException":
            return True
        raise


def encrypt_ok(kms, key_id) -> bool:
    return not throttled(kms.encrypt, KeyId=key_id, Plaintext=b"x")


def test_quotas_are_off_until_a_lesson_turns_them_on(kms, keys):
    assert all(encrypt_ok(kms, keys["symmetric"]) for _ in range(30))


def test_documented_defaults():
    assert quotas.default_rate("symmetric", "us-east-1") == 100_000  # sources: symmetric-request-quota
    assert quotas.default_rate("symmetric", "eu-west-2") == 20_000
    assert quotas.default_rate("symmetric", "sa-east-1") == 10_000
    assert quotas.default_rate("rsa", "us-east-1") == 1_000  # sources: asymmetric-request-quotas
    assert quotas.default_rate("GenerateDataKeyPair:RSA_4096", "us-east-1") == 1
    assert {op: quotas.default_rate(op, "us-east-1") for op in (
        "CreateKey", "DescribeKey", "CreateGrant", "PutKeyPolicy", "ScheduleKeyDeletion",
        "RotateKeyOnDemand", "ListKeyRotations")} == {
        "CreateKey": 5, "DescribeKey": 2000, "CreateGrant": 50, "PutKeyPolicy": 15,
        "ScheduleKeyDeletion": 15, "RotateKeyOnDemand": 5, "ListKeyRotations": 100}  # sources: other-request-quotas
    quotas.configure(scale=0.0002)
    assert quotas.rate("symmetric", "us-east-1") == pytest.approx(20)


def test_over_quota_is_a_throttling_exception_with_aws_message(kms, keys):
    quotas.configure(overrides={"symmetric": 1})
    kms.encrypt(KeyId=keys["symmetric"], Plaintext=b"x")
    with pytest.raises(ClientError) as caught:
        kms.encrypt(KeyId=keys["symmetric"], Plaintext=b"x")
    response = caught.value.response
    assert response["Error"] == {"Code": "ThrottlingException", "Message": MESSAGE}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_burst_is_one_second_of_quota_and_idle_time_does_not_store_more(sb, kms, keys):
    quotas.configure(overrides={"symmetric": 10})
    sb.clock.advance(3600)  # idle for an hour: still at most 10 at once
    results = [encrypt_ok(kms, keys["symmetric"]) for _ in range(15)]
    assert results == [True] * 10 + [False] * 5


def test_steady_state_accuracy(sb, kms, keys):
    """Offered 2x the quota for 10 s: exactly the burst plus rate x time get through."""
    quotas.configure(overrides={"symmetric": 10})
    allowed = 0
    for _ in range(200):  # 20 requests per second of sandbox time for 10 s
        allowed += encrypt_ok(kms, keys["symmetric"])
        sb.clock.advance(0.05)
    assert allowed in (10 + 10 * 10 - 1, 10 + 10 * 10, 10 + 10 * 10 + 1)
    # At exactly the quota, after a refill, nothing is throttled.
    sb.clock.advance(1)
    ok = []
    for _ in range(50):
        ok.append(encrypt_ok(kms, keys["symmetric"]))
        sb.clock.advance(0.1)
    assert all(ok)


def test_quotas_are_separate_per_class_and_operation(kms, keys):
    quotas.configure(overrides={"symmetric": 2, "ecc": 2, "DescribeKey": 2})
    assert [encrypt_ok(kms, keys["symmetric"]) for _ in range(3)] == [True, True, False]
    # ECC signing has its own bucket, and DescribeKey its own.
    assert not throttled(kms.sign, KeyId=keys["ecc"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert not throttled(kms.describe_key, KeyId=keys["symmetric"])
    assert not throttled(kms.describe_key, KeyId=keys["symmetric"])
    assert throttled(kms.describe_key, KeyId=keys["symmetric"])
    # GenerateRandom shares the symmetric quota (sources: symmetric-request-quota).
    assert throttled(kms.generate_random, NumberOfBytes=16)


def test_the_key_is_found_by_alias_and_arn(kms, keys):
    arn = kms.describe_key(KeyId=keys["ecc"])["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/quota-ecc", TargetKeyId=keys["ecc"])
    quotas.configure(overrides={"ecc": 2, "symmetric": 1})
    sign = dict(Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert not throttled(kms.sign, KeyId="alias/quota-ecc", **sign)
    assert not throttled(kms.sign, KeyId=arn, **sign)
    assert throttled(kms.sign, KeyId=keys["ecc"], **sign)


def test_generate_data_key_pair_has_a_quota_per_key_pair_spec(kms, keys):
    quotas.configure(overrides={"GenerateDataKeyPair:ECC_NIST_P256": 1})
    gen = kms.generate_data_key_pair_without_plaintext
    assert not throttled(gen, KeyId=keys["symmetric"], KeyPairSpec="ECC_NIST_P256")
    assert throttled(kms.generate_data_key_pair, KeyId=keys["symmetric"], KeyPairSpec="ECC_NIST_P256")
    assert not throttled(gen, KeyId=keys["symmetric"], KeyPairSpec="ECC_NIST_P384")


def test_a_throttled_create_key_creates_no_key(kms):
    before = len(kms.list_keys()["Keys"])
    quotas.configure(overrides={"CreateKey": 1})
    kms.create_key()
    assert throttled(kms.create_key)
    assert throttled(kms.create_key)
    assert len(kms.list_keys()["Keys"]) == before + 1


def test_cross_account_calls_count_against_the_caller(sb, kms, keys):
    creds = sb.client("sts").assume_role(RoleArn="arn:aws:iam::111122223333:role/OrganizationAccountAccessRole",
                                         RoleSessionName="quota-test")["Credentials"]
    other = sb.client("kms", config=NO_RETRY, access_key=creds["AccessKeyId"],
                      secret_key=creds["SecretAccessKey"], session_token=creds["SessionToken"])
    key_arn = kms.describe_key(KeyId=keys["symmetric"])["KeyMetadata"]["Arn"]
    quotas.configure(overrides={"symmetric": 1})
    assert encrypt_ok(kms, keys["symmetric"])  # the owner's bucket is now empty

    def use_owner_key():
        try:
            other.encrypt(KeyId=key_arn, Plaintext=b"x")
        except ClientError as exc:
            return exc.response["Error"]["Code"]
        return "ok"

    assert use_owner_key() != "ThrottlingException"  # not the owner's quota ...
    assert use_owner_key() == "ThrottlingException"  # ... the caller's
    accounts = {row["account"] for row in quotas.usage()}
    assert accounts == {sb.account_id, "111122223333"}


def test_sandbox_reset_refills_the_buckets(sb, kms, keys):
    quotas.configure(overrides={"symmetric": 1})
    assert encrypt_ok(kms, keys["symmetric"])
    assert not encrypt_ok(kms, keys["symmetric"])
    assert quotas.usage()
    from moto.core.base_backend import BackendDict

    BackendDict.reset()  # what Sandbox.reset() and /moto-api/reset do
    assert quotas.usage() == []
    assert quotas.settings()["overrides"] == {"symmetric": 1}  # settings outlive a reset


def test_charges_follow_the_documented_special_cases():
    from kmslab.service.dispatch import KmsCall

    call = KmsCall("ReplicateKey", {"KeyId": "mrk-1", "ReplicaRegion": "eu-west-1"}, "1", "us-east-1")
    assert quotas.charges(call) == [("us-east-1", "ReplicateKey", 1), ("eu-west-1", "CreateKey", 2)]
    call = KmsCall("UpdatePrimaryRegion", {"PrimaryRegion": "eu-west-1"}, "1", "us-east-1")
    assert quotas.charges(call) == [("us-east-1", "UpdatePrimaryRegion", 1),
                                    ("eu-west-1", "UpdatePrimaryRegion", 1)]


# -- the local endpoint, a plain boto3 client -------------------------------------------------

@pytest.fixture(scope="module")
def endpoint():
    server = LocalEndpoint()
    yield server
    server.stop()
    quotas.reset()


def _post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def test_local_endpoint_throttles_a_plain_boto3_client(endpoint):
    client = boto3.client("kms", endpoint_url=endpoint.url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=NO_RETRY)
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    # Set the quota remotely, as a notebook talking to `python -m kmslab serve` would.
    answer = _post_json(endpoint.url + quotas.ROUTE, {"overrides": {"symmetric": 3}})
    assert answer["enabled"] is True and answer["overrides"] == {"symmetric": 3}
    # The endpoint runs on the sandbox clock; freeze it so the count is exact.
    from kmslab import clock

    old = clock.use(clock.Clock(frozen=True))
    try:
        results = [not throttled(client.encrypt, KeyId=key_id, Plaintext=b"x") for _ in range(5)]
        with pytest.raises(ClientError) as caught:
            client.generate_random(NumberOfBytes=8)  # same symmetric bucket, still empty
    finally:
        clock.use(old)
    assert results == [True, True, True, False, False]
    assert caught.value.response["Error"]["Message"] == MESSAGE
    assert _post_json(endpoint.url + quotas.ROUTE, {"reset": True})["enabled"] is False
    assert not throttled(client.generate_random, NumberOfBytes=8)
