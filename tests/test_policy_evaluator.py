"""Unit tests of the policy evaluator (kmslab.service.policy): matching and condition operators."""
from __future__ import annotations

import pytest

from kmslab.service.policy import MalformedPolicy, parse
from kmslab.service.policy import conditions as c
from kmslab.service.policy import match
from kmslab.service.policy.evaluate import Principal, Request, evaluate, names_principal

USER = Principal("arn:aws:iam::111122223333:user/bob", "111122223333", "user")
SESSION = Principal("arn:aws:sts::111122223333:assumed-role/app/s1", "111122223333", "assumed-role",
                    role_arn="arn:aws:iam::111122223333:role/app")
ROOT = Principal("arn:aws:iam::111122223333:root", "111122223333", "root")


def test_wildcards():
    assert match.action("kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext")
    assert match.action("KMS:decrypt", "kms:Decrypt")
    assert not match.action("kms:Re*", "kms:Decrypt")
    assert match.resource("arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:us-east-1:111122223333:key/abc")
    assert match.like("a?c", "abc") and not match.like("a?c", "abbc")


def test_principals():
    assert names_principal("arn:aws:iam::111122223333:root", USER) == "account"
    assert names_principal("111122223333", USER) == "account"
    assert names_principal("arn:aws:iam::111122223333:root", ROOT) == "direct"
    assert names_principal("arn:aws:iam::111122223333:role/app", SESSION) == "direct"
    assert names_principal("arn:aws:iam::444455556666:root", USER) is None


def _ctx(**kv):
    return c.Context({k.replace("__", ":"): v for k, v in kv.items()})


@pytest.mark.parametrize("op, expected, actual, holds", [
    ("StringEquals", ["IT"], "IT", True),
    ("StringEquals", ["IT"], "it", False),
    ("StringEqualsIgnoreCase", ["IT"], "it", True),
    ("StringNotEquals", ["IT"], "HR", True),
    ("StringNotEquals", ["IT"], None, True),        # negated operators hold when the key is absent
    ("StringEquals", ["IT"], None, False),
    ("StringEqualsIfExists", ["IT"], None, True),
    ("StringLike", ["s3.*.amazonaws.com"], "s3.us-east-1.amazonaws.com", True),
    ("StringNotLike", ["s3.*"], "ec2.us-east-1.amazonaws.com", True),
    ("ArnLike", ["arn:aws:iam::*:role/app-*"], "arn:aws:iam::1:role/app-x", True),
    ("Bool", ["true"], True, True),
    ("Bool", ["false"], True, False),
    ("NumericLessThanEquals", ["180"], 90, True),
    ("NumericGreaterThan", ["180"], 90, False),
    ("Null", ["true"], None, True),
    ("Null", ["false"], None, False),
    ("ForAnyValue:StringEquals", ["a"], ["a", "b"], True),
    ("ForAllValues:StringEquals", ["a"], ["a", "b"], False),
    ("ForAllValues:StringEquals", ["a"], None, True),  # holds on a missing key
    ("ForAnyValue:StringEquals", ["a"], None, False),
])
def test_operators(op, expected, actual, holds):
    ctx = c.Context({} if actual is None else {"k:key": actual})
    (result,) = c.evaluate({op: {"k:key": expected}}, ctx)
    assert result.holds is holds


def test_condition_keys_are_case_insensitive_but_context_keys_are_not():
    ctx = c.Context({"kms:EncryptionContext:Dept": "IT", "kms:ViaService": "s3.x"})
    assert ctx.get("KMS:viaservice") == "s3.x"
    assert ctx.get("kms:encryptioncontext:Dept") == "IT"
    assert ctx.get("kms:EncryptionContext:dept") != "IT"


def test_parse_rejects_bad_shapes():
    for bad in ("[]", "{}", '{"Statement": [{"Effect": "Allow"}]}',
                '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", '
                '"Condition": {"StringSorta": {"a": "b"}}}]}'):
        with pytest.raises(MalformedPolicy):
            parse(bad)


def test_evaluate_reports_matching_statements_with_conditions():
    doc = parse({"Version": "2012-10-17", "Statement": [
        {"Sid": "all", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/bob"},
         "Action": "kms:Decrypt", "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "NotAction": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}},
    ]})
    found = evaluate(doc, Request(USER, "kms:Decrypt", "arn:k"), "key policy", resource_policy=True)
    assert [(m.index, m.principal_how, m.applies) for m in found] == [(0, "account", True)]
    found = evaluate(doc, Request(SESSION, "kms:Encrypt", "arn:k"), "key policy", resource_policy=True)
    assert [(m.index, m.applies) for m in found] == [(0, True), (2, False)]
    assert "key policy statement 0 ('all'): Allow" in found[0].describe()
