"""The AWS CLI against the sandbox, from a lesson (lesson 00).

    from kmslab.teach import cli
    sb = sandbox.start("endpoint")
    print(cli.exports(sb))                   # what to paste into a terminal
    keys = cli.aws(sb, "kms", "list-keys")   # the real AWS CLI, pointed at the sandbox

The CLI is another process: it never sees an in-process sandbox, and without an endpoint it
would try the real KMS endpoint (with fake credentials). Every CLI this module starts gets
AWS_ENDPOINT_URL, fake credentials and a Region, and reads no ~/.aws files.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from ..sandbox import Sandbox, SandboxError
from ..server import environment, export_lines


class CliError(RuntimeError):
    """The AWS CLI exited with an error; the message is its own last line."""


def _url(where: Sandbox | str) -> str:
    if isinstance(where, str):
        return where
    if not where.endpoint_url:
        raise SandboxError("The AWS CLI runs in its own process, which cannot reach an in-process sandbox. "
                           "Use sandbox.start('endpoint'), or run `python -m kmslab serve` in a terminal.")
    return where.endpoint_url


def exports(where: Sandbox | str, port: str | None = None) -> str:
    """The lines `python -m kmslab serve` prints for a terminal. `port="PORT"` shows a placeholder
    instead of the real port (for outputs that must not change between runs)."""
    url = _url(where)
    if port is not None:
        url = url.rsplit(":", 1)[0] + f":{port}"
    return "\n".join(export_lines(url))


def aws(where: Sandbox | str, *args: str, access_key: str | None = None, secret_key: str | None = None,
        region: str = "us-east-1") -> Any:
    """Run `aws <args> --output json` against the sandbox; its parsed output (or text)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(environment(_url(where), region))
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_PAGER="",
               AWS_EC2_METADATA_DISABLED="true")
    if access_key:
        env.update(AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret_key or "")
    done = subprocess.run([sys.executable, "-m", "awscli", *args, "--output", "json"], capture_output=True,
                          text=True, env=env, timeout=120)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise CliError(lines[-1] if lines else f"aws exited with status {done.returncode}")
    try:
        return json.loads(done.stdout) if done.stdout.strip() else None
    except ValueError:
        return done.stdout
