"""The fidelity ledger: rule by rule, moto alone differs from AWS and the sandbox does not.

Bare moto runs once, in a subprocess that never installs the sandbox rules
(`python -m kmslab.service.ledger --bare`); the sandbox runs in-process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kmslab import sandbox
from kmslab.service import ledger
from kmslab.service.ledger_rules import MOTO_MATCHES, RULES

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "moto-vs-aws.md"


@pytest.fixture(scope="module")
def bare():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    out = subprocess.run([sys.executable, "-m", "kmslab.service.ledger", "--bare"], env=env,
                         capture_output=True, text=True, timeout=300, check=True, cwd=ROOT)
    answer = json.loads(out.stdout)
    assert answer["rule_modules_loaded"] == [], "the bare run must not load sandbox rules"
    return answer["observed"]


@pytest.fixture(scope="module")
def sandboxed():
    box = sandbox.start()
    try:
        return ledger.run_sandbox(box)
    finally:
        box.stop()


@pytest.mark.parametrize("rule", [pytest.param(r, id=r["id"]) for r in RULES])
def test_rule(rule, bare, sandboxed):
    assert bare[rule["id"]] != rule["expected"], (
        f"moto alone now behaves as AWS for '{rule['id']}' ({bare[rule['id']]!r}): an upgrade fixed it "
        f"upstream. Retire the rule: move it to MOTO_MATCHES in ledger_rules.py, drop the sandbox code "
        f"that implements it, and re-render docs/moto-vs-aws.md.")
    assert sandboxed[rule["id"]] == rule["expected"], (
        f"the sandbox does not behave as AWS for '{rule['id']}': saw {sandboxed[rule['id']]!r}")


@pytest.mark.parametrize("rule", [pytest.param(r, id=r["id"]) for r in MOTO_MATCHES])
def test_moto_still_matches(rule, bare, sandboxed):
    assert bare[rule["id"]] == rule["expected"], f"moto no longer matches AWS for {rule['id']}"
    assert sandboxed[rule["id"]] == rule["expected"]


def test_committed_page_matches_the_data():
    assert PAGE.read_text(encoding="utf-8") == ledger.render(), (
        "docs/moto-vs-aws.md is stale: run python -m kmslab.service.ledger --render docs/moto-vs-aws.md")


def test_every_rule_is_described():
    ids = [r["id"] for r in RULES + MOTO_MATCHES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule["moto"] and rule["aws"] and rule["facts"] and rule["status"] == "modelled"
