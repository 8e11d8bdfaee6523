"""teach.cli: the AWS CLI, started by the suite, reaches the sandbox and nothing else."""
from __future__ import annotations

import pytest

from kmslab import sandbox
from kmslab.teach import cli

pytestmark = pytest.mark.slow


def test_the_cli_started_by_a_lesson_reaches_the_sandbox():
    with sandbox.start("endpoint") as sb:
        key = sb.client("kms").create_key(Description="made in Python")["KeyMetadata"]["KeyId"]
        listed = cli.aws(sb, "kms", "list-keys")
        assert [k["KeyId"] for k in listed["Keys"]] == [key]
        created = cli.aws(sb, "kms", "create-key", "--description", "made by the CLI")
        assert sb.client("kms").describe_key(KeyId=created["KeyMetadata"]["KeyId"])["KeyMetadata"]["Description"] \
            == "made by the CLI"
        with pytest.raises(cli.CliError, match="NotFoundException"):
            cli.aws(sb, "kms", "describe-key", "--key-id", "alias/nothing")
        text = cli.exports(sb)
        assert f"export AWS_ENDPOINT_URL={sb.endpoint_url}" in text.splitlines()
        assert cli.exports(sb, port="PORT").splitlines()[0] == "export AWS_ENDPOINT_URL=http://127.0.0.1:PORT"


def test_an_in_process_sandbox_says_what_to_do():
    with sandbox.start() as sb:
        with pytest.raises(sandbox.SandboxError, match="sandbox.start\\('endpoint'\\)"):
            cli.aws(sb, "kms", "list-keys")
