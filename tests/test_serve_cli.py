"""`python -m kmslab serve`: a real process, used by a plain boto3 client, stopped with Ctrl-C."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import boto3
import pytest

pytestmark = pytest.mark.slow


def test_serve_prints_its_url_and_stops_on_ctrl_c():
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    proc = subprocess.Popen([sys.executable, "-m", "kmslab", "serve"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        assert match, f"no URL in {line!r}"
        kms = boto3.client("kms", endpoint_url=match.group(1), region_name="us-east-1",
                           aws_access_key_id="any", aws_secret_access_key="any")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"hello")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hello"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "stopping" in out
    assert "Traceback" not in err


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM])
def test_serve_started_in_the_background_still_stops(stop_with):
    """`python -m kmslab serve &` in a script starts with SIGINT ignored (POSIX shells do that
    for background jobs); Ctrl-C's signal and kill's must stop it all the same."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    proc = subprocess.Popen([sys.executable, "-m", "kmslab", "serve"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert "http://127.0.0.1:" in proc.stdout.readline()
        proc.send_signal(stop_with)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "stopping" in out
