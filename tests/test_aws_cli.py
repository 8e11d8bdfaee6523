"""The AWS CLI, a client no one here wrote, meets the sandbox's rules at `python -m kmslab serve`."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def endpoint():
    proc = subprocess.Popen([sys.executable, "-m", "kmslab", "serve"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        yield re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline()).group(0)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)


def aws(endpoint, *args, access_key="testing", secret_key="testing", tmp=None):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_PAGER": ""}
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    out = subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", endpoint, "--output", "json",
                          *args], capture_output=True, text=True, env=env, timeout=60, cwd=tmp)
    return out.returncode, (json.loads(out.stdout) if out.returncode == 0 and out.stdout else out.stderr)


def test_key_state_and_iam_users_through_the_aws_cli(endpoint, tmp_path):
    (tmp_path / "note.txt").write_bytes(b"hello")
    code, key = aws(endpoint, "kms", "create-key", "--description", "from the CLI")
    assert code == 0
    arn = key["KeyMetadata"]["Arn"]
    assert aws(endpoint, "kms", "encrypt", "--key-id", arn, "--plaintext", "fileb://note.txt",
               tmp=tmp_path)[0] == 0
    assert aws(endpoint, "kms", "disable-key", "--key-id", arn)[0] == 0  # an ARN works
    code, err = aws(endpoint, "kms", "encrypt", "--key-id", arn, "--plaintext", "fileb://note.txt",
                    tmp=tmp_path)
    assert code != 0 and "DisabledException" in err

    # a user the CLI creates itself is judged by policies, like the cast
    assert aws(endpoint, "kms", "enable-key", "--key-id", arn)[0] == 0
    assert aws(endpoint, "iam", "create-user", "--user-name", "carol")[0] == 0
    code, created = aws(endpoint, "iam", "create-access-key", "--user-name", "carol")
    carol = created["AccessKey"]
    code, err = aws(endpoint, "kms", "encrypt", "--key-id", arn, "--plaintext", "fileb://note.txt",
                    access_key=carol["AccessKeyId"], secret_key=carol["SecretAccessKey"], tmp=tmp_path)
    assert code != 0 and "AccessDeniedException" in err
    assert "user/carol is not authorized to perform: kms:Encrypt" in err
