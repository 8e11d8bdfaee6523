"""Many clients at once against the local endpoint (its server runs requests on several
threads): quotas stay exact, and the audit trail gets one record, with its own ids, per request."""
from __future__ import annotations

import sys
import threading
from collections import Counter

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from kmslab import clock
from kmslab.service import audit, quotas

CLIENTS = 8
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


def clients(endpoint, n: int) -> list:
    # Created before the threads start: making boto3 clients is not thread-safe, using them is.
    return [boto3.client("kms", endpoint_url=endpoint.url, region_name="us-east-1",
                         aws_access_key_id="testing", aws_secret_access_key="testing", config=NO_RETRY)
            for _ in range(n)]


def run_together(work, n: int) -> list:
    """Run work(i) on n threads that start at the same moment; their results, in order."""
    results: list = [None] * n
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.fixture
def frozen():
    old = clock.use(clock.Clock(frozen=True))  # no refill while the clients run: the count is exact
    yield
    clock.use(old)


def test_a_quota_of_q_allows_exactly_q_of_many_concurrent_requests(sb, endpoint, frozen):
    kms = clients(endpoint, CLIENTS)
    key_id = kms[0].create_key()["KeyMetadata"]["KeyId"]
    quotas.configure(overrides={"symmetric": 25})
    try:
        def work(i: int) -> Counter:
            seen: Counter = Counter()
            for _ in range(10):
                try:
                    kms[i].encrypt(KeyId=key_id, Plaintext=b"x")
                    seen["ok"] += 1
                except ClientError as exc:
                    seen[exc.response["Error"]["Code"]] += 1
            return seen

        total = sum(run_together(work, CLIENTS), Counter())
        usage = [u for u in quotas.usage() if u["quota"] == "symmetric"]
    finally:
        quotas.reset()
    assert total == Counter({"ok": 25, "ThrottlingException": CLIENTS * 10 - 25})
    assert [(u["allowed"], u["throttled"]) for u in usage] == [(25, CLIENTS * 10 - 25)]


def test_the_audit_trail_has_one_record_per_concurrent_request(sb, endpoint):
    kms = clients(endpoint, CLIENTS)
    keys = [kms[i].create_key()["KeyMetadata"]["Arn"] for i in range(CLIENTS)]
    before = len(audit.events())
    calls = 12

    def work(i: int) -> None:
        for _ in range(calls):
            blob = kms[i].encrypt(KeyId=keys[i], Plaintext=b"x")["CiphertextBlob"]
            kms[i].decrypt(CiphertextBlob=blob)

    run_together(work, CLIENTS)
    new = audit.events()[before:]
    assert len(new) == CLIENTS * calls * 2
    assert len({e["eventID"] for e in new}) == len(new)
    assert len({e["requestID"] for e in new}) == len(new)
    assert all("errorCode" not in e for e in new)
    per_key = Counter((e["eventName"], e["resources"][0]["ARN"]) for e in new)
    assert per_key == Counter({(op, arn): calls for arn in keys for op in ("Encrypt", "Decrypt")})
    # Each key's last usage names a record of its own request, not a neighbour's.
    by_id = {e["eventID"]: e for e in new}
    for i, arn in enumerate(keys):
        usage = kms[i].get_key_last_usage(KeyId=arn)["KeyLastUsage"]
        record = by_id[usage["CloudTrailEventId"]]
        assert record["resources"][0]["ARN"] == arn and record["eventName"] == usage["Operation"]
        assert record["requestID"] == usage["KmsRequestId"]


def test_records_written_at_once_never_share_an_id(sb):
    """The record's number and its place in the trail are taken together, even when threads
    switch as often as they can (the race this guards against showed up as repeated ids)."""
    from kmslab.service import dispatch

    def work(i: int) -> None:
        for _ in range(200):
            call = dispatch.KmsCall("Encrypt", {"KeyId": f"key-{i}"}, sb.account_id, "us-east-1")
            audit.record(call, {}, None)

    before = len(audit.events())
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        run_together(work, CLIENTS)
    finally:
        sys.setswitchinterval(interval)
    new = audit.events()[before:]
    assert len(new) == CLIENTS * 200
    assert len({e["eventID"] for e in new}) == len({e["requestID"] for e in new}) == len(new)
