"""Lab 05 checks (key policies): the right answer, typical wrong answers and the TODO case,
each through the sandbox's real authorization."""
from __future__ import annotations

import copy

import pytest

from kmslab import sandbox
from kmslab.teach import cast, policies
from kmslab.teach.checks import OK, TODO, WRONG
from kmslab.teach.lab_checks import lab05_key_policies as lab


@pytest.fixture(scope="module")
def world():
    sb = sandbox.start()
    people = cast.build(sb)
    yield sb, people, lab.lab_key(sb)
    sb.stop()


def right_policy(people) -> dict:
    a, b = people.account, people.second_account
    return {"Version": "2012-10-17", "Statement": [
        policies.enable_iam_statement(a),
        {"Sid": "Key administrators", "Effect": "Allow", "Principal": {"AWS": people.key_admin.principal},
         "Action": policies.KEY_ADMIN_ACTIONS, "Resource": "*"},
        {"Sid": "App encrypts for tenant blue", "Effect": "Allow", "Principal": {"AWS": people.app.principal},
         "Action": ["kms:Encrypt", "kms:GenerateDataKey"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "blue"}}},
        {"Sid": "Account B decrypts", "Effect": "Allow", "Principal": {"AWS": policies.account_root(b)},
         "Action": "kms:Decrypt", "Resource": "*"},
    ]}


def right_iam(key_arn: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn}]}


def changed(people, index: int, **fields) -> dict:
    doc = copy.deepcopy(right_policy(people))
    if fields.pop("drop", False):
        del doc["Statement"][index]
    else:
        doc["Statement"][index].update(fields)
    return doc


def wrong_lines(feedback) -> list[str]:
    assert feedback.status == WRONG, feedback.text
    return [line.strip()[2:] for line in feedback.message.splitlines()[1:]]


# -- task 1 ------------------------------------------------------------------------------------
def test_right_policy(world):
    sb, people, _ = world
    fb = lab.check_key_policy(sb, people, right_policy(people))
    assert fb.status == OK, fb.text
    assert "all 14 cases right" in fb.message


def test_todo(world):
    sb, people, _ = world
    fb = lab.check_key_policy(sb, people, ...)
    assert fb.status == TODO and "not done yet (set key_policy)" in fb.text


def test_console_default_with_the_app_as_key_user(world):
    sb, people, _ = world
    doc = policies.console_default(people.account, [people.key_admin.principal], [people.app.principal])
    fb = lab.check_key_policy(sb, people, doc)
    assert wrong_lines(fb) == [
        "app can encrypt without the context — should be denied",
        "app can encrypt with {'tenant': 'green'} — should be denied",
        "app can decrypt — should be denied (it only writes)",
        "partner account cannot decrypt — should be allowed",
    ]
    assert fb.part == "key policy" and fb.message.startswith("4 of 14 cases wrong")
    # the hint quotes the sandbox's own explanation of the first wrong case
    assert "app Encrypt without a context: decided by: the key policy, which names the caller" in fb.hint


def test_key_administrators_with_kms_star(world):
    sb, people, _ = world
    fb = lab.check_key_policy(sb, people, changed(people, 1, Action="kms:*"))
    assert wrong_lines(fb) == ["key administrator can encrypt — should be denied",
                               "key administrator can decrypt — should be denied"]
    assert fb.hint.startswith(lab.HINT_ADMINS)


def test_condition_on_the_context_keys_only(world):
    sb, people, _ = world
    doc = changed(people, 2, Condition={"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": "tenant"}})
    fb = lab.check_key_policy(sb, people, doc)
    assert "app can encrypt with {'tenant': 'green'} — should be denied" in wrong_lines(fb)


def test_no_statement_for_the_other_account(world):
    sb, people, _ = world
    fb = lab.check_key_policy(sb, people, changed(people, 3, drop=True))
    assert wrong_lines(fb) == ["partner account cannot decrypt — should be allowed"]
    assert "the key policy in the key's account does not allow the caller's account" in fb.hint


def test_other_account_may_use_the_key_for_everything(world):
    sb, people, _ = world
    fb = lab.check_key_policy(sb, people, changed(people, 3, Action=policies.KEY_USER_ACTIONS))
    assert wrong_lines(fb) == ["partner account can encrypt — should be denied (it only reads)"]


def test_app_statement_for_everyone(world):
    sb, people, _ = world
    fb = lab.check_key_policy(sb, people, changed(people, 2, Principal="*"))
    assert wrong_lines(fb) == ["key administrator can encrypt — should be denied",
                               "outsider can encrypt — should be denied",
                               "partner account can encrypt — should be denied (it only reads)"]


def test_no_account_statement_trips_the_lockout_check(world):
    sb, people, _ = world
    fb = lab.check_key_policy(sb, people, changed(people, 0, drop=True))
    assert fb.status == WRONG and fb.part == "key policy"
    assert "will not allow you to update the key policy in the future" in fb.message
    assert fb.hint == lab.HINT_LOCKOUT


def test_malformed_and_json_text(world):
    sb, people, _ = world
    fb = lab.check_key_policy(sb, people, changed(people, 2, Effect="Maybe"))
    assert fb.status == WRONG and "MalformedPolicyDocumentException" in fb.message
    fb = lab.check_key_policy(sb, people, policies.to_json(right_policy(people)))
    assert fb.status == WRONG and "write it as a Python dict" in fb.message


# -- task 2 ------------------------------------------------------------------------------------
def test_partner_right_answer(world):
    sb, people, key_arn = world
    fb = lab.check_partner_access(sb, people, key_arn, right_policy(people), right_iam(key_arn))
    assert fb.status == OK, fb.text


def test_partner_todo(world):
    sb, people, key_arn = world
    fb = lab.check_partner_access(sb, people, key_arn, right_policy(people), ...)
    assert fb.status == TODO and "set partner_iam_policy" in fb.message


def test_partner_iam_on_every_key(world):
    sb, people, key_arn = world
    iam = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
    fb = lab.check_partner_access(sb, people, key_arn, right_policy(people), iam)
    assert fb.status == WRONG and fb.part == "partner IAM policy"
    assert "another key account A shares with it" in fb.message


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "{key}"},                              # wrong action
    {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:444455556666:key/*"},   # own account
])
def test_partner_iam_that_does_not_allow_decrypt(world, statement):
    sb, people, key_arn = world
    statement = {k: v.replace("{key}", key_arn) for k, v in statement.items()}
    fb = lab.check_partner_access(sb, people, key_arn, right_policy(people),
                                  {"Version": "2012-10-17", "Statement": [statement]})
    assert fb.status == WRONG and fb.part == "partner IAM policy"
    assert "cannot decrypt with key_arn" in fb.message and "no IAM policy" in fb.message


def test_partner_blocked_by_the_key_policy(world):
    sb, people, key_arn = world
    fb = lab.check_partner_access(sb, people, key_arn, changed(people, 3, drop=True), right_iam(key_arn))
    assert fb.status == WRONG and fb.part == "key policy (task 1)"
    assert "does not let account B in" in fb.message


# -- more wrong answers, found by working through the starter ------------------------------------
def test_partner_iam_with_a_principal(world):
    """Identity-based policies have no Principal: IAM refuses one (moto's IAM alone would accept it)."""
    sb, people, key_arn = world
    iam = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                   "Action": "kms:Decrypt", "Resource": key_arn}]}
    fb = lab.check_partner_access(sb, people, key_arn, right_policy(people), iam)
    assert fb.status == WRONG and fb.part == "partner IAM policy" and "no Principal" in fb.message, fb.text


def test_partner_iam_resource_as_key_id(world):
    sb, people, key_arn = world
    fb = lab.check_partner_access(sb, people, key_arn, right_policy(people), right_iam(key_arn.split("/")[-1]))
    assert fb.status == WRONG and fb.part == "partner IAM policy" and "ARN format" in fb.message, fb.text


def test_key_policy_in_the_wrong_form(world):
    sb, people, _ = world
    fb = lab.check_key_policy(sb, people, right_policy(people)["Statement"])     # the statements only
    assert fb.status == WRONG and fb.part == "key policy" and "is a list" in fb.message, fb.text
    fb = lab.check_key_policy(sb, people, changed(people, 1, Principal=people.key_admin.principal))
    assert fb.status == WRONG and "Principal must be" in fb.message, fb.text


@pytest.mark.parametrize("index, fields, expected", [
    (2, {"Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "Blue"}}},
     ["app cannot encrypt with {'tenant': 'blue'} — should be allowed",
      "app cannot generate a data key with {'tenant': 'blue'} — should be allowed"]),
    (2, {"Condition": {"StringEquals": {"kms:EncryptionContextKeys": "tenant"}}},
     ["app can encrypt with {'tenant': 'green'} — should be denied"]),
    (2, {"Action": "kms:Encrypt"}, ["app cannot generate a data key with {'tenant': 'blue'} — should be allowed"]),
    (1, {"Action": ["kms:Describe*", "kms:Get*"]}, ["key administrator cannot enable rotation — should be allowed"]),
], ids=["value case", "keys not values", "Encrypt only", "admin reads only"])
def test_near_misses_name_each_case(world, index, fields, expected):
    sb, people, _ = world
    assert wrong_lines(lab.check_key_policy(sb, people, changed(people, index, **fields))) == expected
