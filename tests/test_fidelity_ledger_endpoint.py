"""Every fidelity ledger rule, checked again through `python -m kmslab serve` with plain boto3
clients (no sandbox helpers, nothing in-process): what any SDK sees at the local endpoint."""
from __future__ import annotations

import re
import signal
import subprocess
import sys

import boto3
import pytest

from kmslab.service import ledger
from kmslab.service.ledger_rules import MOTO_MATCHES, RULES

pytestmark = pytest.mark.slow

#: The local endpoint is plain HTTP, so aws:SecureTransport is false there and the bucket
#: policy's DenyPlainHttp statement refuses even the encrypted PUT, as S3 would over HTTP.
OVER_HTTP = {"s3-policy-conditions": "AccessDenied,AccessDenied"}


@pytest.fixture(scope="module")
def observed():
    proc = subprocess.Popen([sys.executable, "-m", "kmslab", "serve"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline()).group(0)

        def client(service, region=None, access_key=None, secret_key=None):
            return boto3.client(service, endpoint_url=url, region_name=region or "us-east-1",
                                aws_access_key_id=access_key or "testing",
                                aws_secret_access_key=secret_key or "testing")

        yield ledger.run_probes(client)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)


@pytest.mark.parametrize("rule", [pytest.param(r, id=r["id"]) for r in RULES + MOTO_MATCHES])
def test_rule_through_the_local_endpoint(rule, observed):
    assert observed[rule["id"]] == OVER_HTTP.get(rule["id"], rule["expected"])
