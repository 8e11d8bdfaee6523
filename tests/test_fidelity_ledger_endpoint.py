"""The fidelity ledger through `python -m kmslab serve`: every rule, seen by a plain boto3
client and by the AWS CLI, neither of which loads the sandbox (issue 14, section 5).

Both clients run in their own processes (`python -m kmslab.service.ledger --endpoint URL`,
with `--cli` for the AWS CLI), at the same time, each against a server of its own.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kmslab.service.ledger import applies
from kmslab.service.ledger_rules import MOTO_MATCHES, RULES

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def _serve() -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([sys.executable, "-m", "kmslab", "serve"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    return server, re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline()).group(0)


@pytest.fixture(scope="module")
def observed():
    """One server per client: some probes make things only one of a kind may have (a CloudHSM
    cluster's key store), so two runs must not meet."""
    servers = {}
    try:
        for kind in ("boto3", "cli"):
            servers[kind] = _serve()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        runs = {kind: subprocess.Popen([sys.executable, "-m", "kmslab.service.ledger", "--endpoint", url,
                                        *(["--cli"] if kind == "cli" else [])],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                       env=env, cwd=ROOT)
                for kind, (_, url) in servers.items()}
        answers = {}
        for kind, run in runs.items():
            out, err = run.communicate(timeout=600)
            assert run.returncode == 0, err
            answers[kind] = json.loads(out)
        yield answers
    finally:
        for server, _ in servers.values():
            server.send_signal(signal.SIGINT)
            server.communicate(timeout=30)


@pytest.mark.parametrize("kind", ["boto3", "cli"])
def test_the_clients_know_nothing_of_the_sandbox(observed, kind):
    assert observed[kind]["rule_modules_loaded"] == []


CASES = [pytest.param(rule, kind, id=f"{kind}-{rule['id']}") for rule in RULES + MOTO_MATCHES
         for kind in ("boto3", "cli") if applies(rule, kind)]


@pytest.mark.parametrize("rule, kind", CASES)
def test_rule_through_the_endpoint(observed, rule, kind):
    seen = observed[kind]["observed"][rule["id"]]
    assert seen == rule["expected"], f"{kind} through python -m kmslab serve saw {seen!r}"


def test_rules_the_cli_cannot_send_say_why():
    for rule in RULES:
        for kind, why in rule.get("not_with", {}).items():
            assert kind in ("boto3", "cli") and why
