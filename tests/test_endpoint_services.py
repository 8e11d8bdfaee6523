"""`python -m kmslab serve` answers every AWS service the lessons and labs call.

The endpoint runs on moto's server without moto's `server` extra (pyproject.toml lists what the
server imports instead), so this starts the real command in a fresh process, where nothing but
`serve` has been imported, and calls each service once through a plain boto3 client.
"""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys

import boto3
import pytest

from kmslab.notebooks import ROOT

pytestmark = pytest.mark.slow

#: The services exercised below; the test after it keeps this list complete.
SERVED = {"kms", "s3", "iam", "sts", "ssm", "secretsmanager", "ec2", "cloudtrail"}


def services_the_course_calls() -> set[str]:
    """Every `client("name")` in the lessons, labs and the package."""
    found: set[str] = set()
    pattern = re.compile(r"client\(\s*[\"']([a-z0-9-]+)[\"']")
    for path in [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("labs/**/*.ipynb")]:
        for cell in json.loads(path.read_text())["cells"]:
            found |= set(pattern.findall("".join(cell["source"])))
    for path in (ROOT / "helpers" / "kmslab").rglob("*.py"):
        found |= set(pattern.findall(path.read_text()))
    return found - {"us-east-1"}  # a Region passed to a lab's own kms_client()


def test_every_service_the_course_calls_is_exercised_here():
    missing = services_the_course_calls() - SERVED
    assert not missing, f"the course calls {sorted(missing)}: add them to this test (and moto's extras)"


@pytest.fixture(scope="module")
def url():
    proc = subprocess.Popen([sys.executable, "-m", "kmslab", "serve"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, f"no URL in {line!r}: {proc.stderr.read() if proc.poll() is not None else ''}"
        yield match.group(0)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def client(url):
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name="us-east-1")
    return lambda name: session.client(name, endpoint_url=url)


@pytest.fixture(scope="module")
def key_id(client):
    return client("kms").create_key(Description="endpoint services")["KeyMetadata"]["KeyId"]


def test_kms(client, key_id):
    kms = client("kms")
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"hello")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hello"


def test_sts_and_iam(client):
    assert client("sts").get_caller_identity()["Account"] == "123456789012"
    assert client("iam").create_user(UserName="dana")["User"]["UserName"] == "dana"


def test_s3_with_sse_kms(client, key_id):
    s3 = client("s3")
    s3.create_bucket(Bucket="reports")
    s3.put_object(Bucket="reports", Key="q1.txt", Body=b"numbers", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key_id)
    got = s3.get_object(Bucket="reports", Key="q1.txt")
    assert got["Body"].read() == b"numbers" and got["ServerSideEncryption"] == "aws:kms"


def test_ssm_secure_string(client, key_id):
    ssm = client("ssm")
    ssm.put_parameter(Name="/app/db", Value="s3cret", Type="SecureString", KeyId=key_id)
    assert ssm.get_parameter(Name="/app/db", WithDecryption=True)["Parameter"]["Value"] == "s3cret"


def test_secrets_manager(client, key_id):
    sm = client("secretsmanager")
    sm.create_secret(Name="app/api", SecretString="token", KmsKeyId=key_id)
    assert sm.get_secret_value(SecretId="app/api")["SecretString"] == "token"


def test_ec2_encrypted_volume_and_snapshot(client, key_id):
    ec2 = client("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=True, KmsKeyId=key_id)
    snapshot = ec2.create_snapshot(VolumeId=volume["VolumeId"])
    assert volume["Encrypted"] and snapshot["Encrypted"]


def test_cloudtrail_sees_the_kms_calls(client, key_id):
    client("kms").encrypt(KeyId=key_id, Plaintext=b"audited")
    events = client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "kms.amazonaws.com"}])["Events"]
    assert {"CreateKey", "Encrypt"} <= {e["EventName"] for e in events}
