"""The fidelity ledger: run the probes of ledger_rules against bare moto, the sandbox, or a
running `python -m kmslab serve` (with plain boto3 clients or the AWS CLI), and render the
"moto vs AWS" page from the same data.

    python -m kmslab.service.ledger --bare          # JSON {rule id: observation}, moto alone
    python -m kmslab.service.ledger --sandbox       # the same, with the sandbox rules
    python -m kmslab.service.ledger --endpoint URL  # plain boto3 clients of a running endpoint
    python -m kmslab.service.ledger --endpoint URL --cli   # the same, through the AWS CLI
    python -m kmslab.service.ledger --render docs/moto-vs-aws.md

--bare and --endpoint never install the sandbox rules (the tests check that no rule
module was imported): moto alone, or a client that knows nothing of the sandbox.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Any, Callable

from .ledger_rules import MOTO_MATCHES, NOT_MODELLED, RULES, outcome

#: The clients a rule is checked with: boto3 in-process (bare moto and the sandbox),
#: and, against `python -m kmslab serve`, a plain boto3 client and the AWS CLI.
CLIENTS = ("inprocess", "boto3", "cli")


def applies(rule: dict, client: str) -> bool:
    """Whether `rule` can be observed with `client` (rules say which clients cannot send them)."""
    return client not in rule.get("not_with", {})


def run_probes(make_client: Callable[..., Any], wait: Callable[[float], None] = time.sleep,
               client_kind: str = "inprocess") -> dict[str, str]:
    """Every rule's observation, using `client(service, region=None, access_key=None,
    secret_key=None, fresh=False)` (memoised here unless fresh); a probe passes keys to act
    as another identity, and calls `client.wait(seconds)` to let the sandbox's clock move."""
    made: dict[tuple, Any] = {}

    def cached(service: str, region: str | None = None, access_key: str | None = None,
               secret_key: str | None = None, fresh: bool = False):
        ident = (service, region, access_key, secret_key)
        if fresh or ident not in made:
            made_now = (make_client(service, region, access_key, secret_key) if access_key
                        else make_client(service, region))
            if fresh:
                return made_now
            made[ident] = made_now
        return made[ident]

    cached.wait = wait  # type: ignore[attr-defined]
    client = cached
    observed: dict[str, str] = {}
    for rule in RULES + MOTO_MATCHES:
        if not applies(rule, client_kind):
            continue
        result: list[str] = []
        failure = outcome(lambda: result.append(rule["probe"](client)))
        observed[rule["id"]] = result[0] if result else f"probe-{failure}"
    return observed


def _unvalidated():
    from botocore.config import Config

    # The probes send some invalid requests on purpose: the service, not botocore, must answer.
    return Config(parameter_validation=False)


def _rule_modules_loaded() -> list[str]:
    from . import RULE_MODULES

    return [m for m in RULE_MODULES if f"{__package__}.{m}" in sys.modules]


def _fake_credentials() -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ[name] = value


def run_bare() -> dict[str, Any]:
    """Probe moto 5.2 alone, in this process (call in a fresh process)."""
    _fake_credentials()
    import boto3
    from moto import mock_aws

    with mock_aws():
        def client(service: str, region: str | None = None, access_key: str | None = None,
                   secret_key: str | None = None):
            credentials = ({"aws_access_key_id": access_key, "aws_secret_access_key": secret_key}
                           if access_key else {})
            return boto3.client(service, region_name=region or "us-east-1", config=_unvalidated(),
                                **credentials)

        observed = run_probes(client)
    return {"observed": observed, "rule_modules_loaded": _rule_modules_loaded()}


def run_sandbox(sb) -> dict[str, str]:
    """Probe a running sandbox (kmslab.sandbox.start())."""
    return run_probes(lambda service, region=None, access_key=None, secret_key=None: sb.client(
        service, region=region, access_key=access_key, secret_key=secret_key, config=_unvalidated()),
        wait=sb.clock.sleep)


def run_endpoint(url: str, cli: bool = False) -> dict[str, Any]:
    """Probe `python -m kmslab serve` at `url` with plain boto3 clients, or with the AWS CLI.
    Call in a fresh process: nothing here installs the sandbox rules."""
    _fake_credentials()
    if cli:
        from .ledger_cli import runner

        aws = runner(url)

        def client(service: str, region: str | None = None, access_key: str | None = None,
                   secret_key: str | None = None):
            return aws.client(service, region or "us-east-1", access_key, secret_key)
    else:
        import boto3

        def client(service: str, region: str | None = None, access_key: str | None = None,
                   secret_key: str | None = None):
            return boto3.client(service, region_name=region or "us-east-1", endpoint_url=url,
                                aws_access_key_id=access_key or "testing",
                                aws_secret_access_key=secret_key or "testing", config=_unvalidated())

    observed = run_probes(client, client_kind="cli" if cli else "boto3")
    return {"observed": observed, "rule_modules_loaded": _rule_modules_loaded()}


# -- the page --------------------------------------------------------------------------------

def _cell(text: str) -> str:
    from kmslab.teach.markdown import escape

    return escape(str(text)).replace("|", "\\|").replace("\n", " ")


def _sources(ids: str) -> str:
    """'a, b' -> links to the entries of docs/sources.md (this page sits beside it). An item that is
    already a Markdown link (an AWS page that no entry of the sources page covers) stays as it is."""
    items = (part.strip() for part in ids.split(","))
    return ", ".join(i if i.startswith("[") else f"[{i}](sources.md#{i})" for i in items if i)


def render() -> str:
    lines = [
        "# What the sandbox models: moto vs AWS",
        "",
        "<!-- Generated by `python -m kmslab.service.ledger --render docs/moto-vs-aws.md` from",
        "     helpers/kmslab/service/ledger_rules.py. Do not edit by hand. -->",
        "",
        "The lessons run against moto 5.2, a mock of AWS, extended by the sandbox (`kmslab.service`).",
        "Each row is one AWS rule: what moto does on its own, what AWS does, and the entries of",
        "[the sources page](sources.md) it rests on. `tests/test_fidelity_ledger.py` checks every",
        "row on each run: moto alone must still differ, and the sandbox must behave as AWS does,",
        "in-process and through `python -m kmslab serve` with a plain boto3 client and with the AWS",
        "CLI (`tests/test_fidelity_ledger_endpoint.py`).",
        "",
    ]
    section = None
    for rule in RULES:
        if rule["section"] != section:
            section = rule["section"]
            lines += [f"## {section}", "",
                      "| Rule | moto 5.2 alone | AWS (and the sandbox) | Sources | Status |",
                      "|---|---|---|---|---|"]
        status = rule["status"]
        if not applies(rule, "cli"):
            status += " (the AWS CLI cannot send this request)"
        lines.append(f"| {_cell(rule['title'])} | {_cell(rule['moto'])} | {_cell(rule['aws'])} | "
                     f"{_sources(rule['facts'])} | {status} |")
        if section != (RULES[RULES.index(rule) + 1]["section"] if rule is not RULES[-1] else None):
            lines.append("")
    lines += ["## Already right in moto", "",
              "moto 5.2 alone already behaves as AWS here; the ledger still checks it.", "",
              "| Rule | AWS | Sources |", "|---|---|---|"]
    for item in MOTO_MATCHES:
        lines.append(f"| {_cell(item['title'])} | {_cell(item['aws'])} | {_sources(item['facts'])} |")
    lines += ["", "## Not modelled", "",
              "The sandbox does not reproduce these. Lessons that mention them say so.", "",
              "| Topic | What AWS does | Sources |", "|---|---|---|"]
    for item in NOT_MODELLED:
        lines.append(f"| {_cell(item['title'])} | {_cell(item['aws'])} | {_sources(item['facts'])} |")
    return "\n".join(lines) + "\n"


def write_atomically(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=directory, prefix=".moto-vs-aws.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kmslab.service.ledger")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--bare", action="store_true", help="probe moto alone; print JSON")
    group.add_argument("--sandbox", action="store_true", help="probe the sandbox; print JSON")
    group.add_argument("--endpoint", metavar="URL", help="probe a running `python -m kmslab serve`")
    group.add_argument("--render", metavar="PATH", help="write the moto-vs-AWS page")
    parser.add_argument("--cli", action="store_true", help="with --endpoint: probe through the AWS CLI")
    args = parser.parse_args(argv)
    if args.bare:
        print(json.dumps(run_bare(), indent=1, sort_keys=True))
    elif args.sandbox:
        from kmslab import sandbox

        sb = sandbox.start()
        try:
            print(json.dumps(run_sandbox(sb), indent=1, sort_keys=True))
        finally:
            sb.stop()
    elif args.endpoint:
        print(json.dumps(run_endpoint(args.endpoint, cli=args.cli), indent=1, sort_keys=True))
    else:
        write_atomically(args.render, render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
