"""teach.access: the decision table of lesson 07 (real requests, each explained) and its figure."""
from __future__ import annotations

import json

import matplotlib.text
import pytest

from kmslab.teach import access, cast, policies


@pytest.fixture(scope="module")
def table(sb):
    people = cast.build(sb)
    kms = sb.client("kms")
    iam_only = policies.document(policies.enable_iam_statement(sb.account_id))
    names_user = policies.document(policies.enable_iam_statement(sb.account_id),
                                   policies.statement("Allow", people.key_user.principal, "kms:Encrypt"))
    keys = {"names the account": kms.create_key(Policy=json.dumps(iam_only))["KeyMetadata"]["Arn"],
            "names key_user": kms.create_key(Policy=json.dumps(names_user))["KeyMetadata"]["Arn"]}
    callers = {"admin (IAM allows *)": people.admin.client("kms"), "key_user": people.key_user.client("kms")}
    return access.decision_table(keys, callers, "Encrypt", Plaintext=b"x")


def test_decision_table_sends_real_requests_and_explains_them(table):
    assert {k: o.allowed for k, o in table.items()} == {
        ("names the account", "admin (IAM allows *)"): True,
        ("names the account", "key_user"): False,
        ("names key_user", "admin (IAM allows *)"): True,
        ("names key_user", "key_user"): True}
    denied = table["names the account", "key_user"]
    assert denied.result == "AccessDeniedException" and denied.trace.startswith("DENY")
    assert denied.decided_by and "\n" not in denied.decided_by


def test_decision_table_figure_is_readable(table):
    fig = access.plot_decision_table(table, "kms:Encrypt")
    ax, = fig.axes
    cells = [t for t in ax.texts if isinstance(t, matplotlib.text.Text)]
    assert len(cells) == 2 * len(table)                       # ALLOW/DENY and the reason, per cell
    assert min(t.get_fontsize() for t in cells) >= 10         # was 7: too small to read
    assert [t.get_text() for t in ax.get_xticklabels()] == ["admin (IAM allows *)", "key_user"]
