"""The sandbox's AWS rules reach a client that has no project code at all.

`python -m kmslab serve` runs in one process; a client that imports boto3 only
runs in another (tests/data/plain_client_probe.py).
"""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
PROBE = Path(__file__).parent / "data" / "plain_client_probe.py"


@pytest.fixture(scope="module")
def endpoint():
    proc = subprocess.Popen([sys.executable, "-m", "kmslab", "serve"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    try:
        assert match, f"serve printed {line!r}"
        yield match.group(0)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)


def test_rules_hold_for_a_plain_boto3_process(endpoint):
    out = subprocess.run([sys.executable, str(PROBE), endpoint], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["modules"] == [], "the client process must not load kmslab or moto"
    assert seen["disabled_encrypt"] == "DisabledException"
    assert seen["rsa_ciphertext_len"] == 256
    assert seen["old_decrypts_after_rotation"] is True
    assert seen["sse_kms_get_with_disabled_key"] == "KMS.DisabledException"
    assert seen["bob"] == "AccessDeniedException" and seen["bob_message_names_bob"]


THROTTLE_PROBE = """
import json, sys, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
kms = boto3.client("kms", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="x", aws_secret_access_key="x",
                   config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
codes = []
for _ in range(10):
    try:
        kms.generate_random(NumberOfBytes=8); codes.append("ok")
    except ClientError as exc:
        codes.append(exc.response["Error"]["Code"])
        message = exc.response["Error"]["Message"]
print(json.dumps({"codes": codes, "message": message, "kmslab": "kmslab" in sys.modules}))
"""


def test_a_plain_client_is_throttled_by_serve_quota():
    proc = subprocess.Popen([sys.executable, "-m", "kmslab", "serve", "--quota", "symmetric=2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline()).group(0)
        out = subprocess.run([sys.executable, "-c", THROTTLE_PROBE, url], capture_output=True,
                             text=True, timeout=60)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["codes"][0] == "ok" and "ThrottlingException" in seen["codes"]
    assert seen["message"] == ("You have exceeded the rate at which you may call KMS. "
                               "Reduce the frequency of your calls.")
    assert seen["kmslab"] is False
