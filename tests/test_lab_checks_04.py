"""Lab 04 checks: a right answer and typical wrong answers, built in a real sandbox."""
from __future__ import annotations

import pytest

from kmslab import sandbox
from kmslab.teach.checks import OK, TODO, WRONG
from kmslab.teach.lab_checks.lab04_rotation import (check_alias_moved, check_old_ciphertext, check_on_demand,
                                                     check_rotation_period)

NOTE = b"quarterly numbers, draft 3"


@pytest.fixture(scope="module")
def kms():
    box = sandbox.start()
    yield box.client("kms")
    box.stop()


def new_key(kms, **kwargs):
    return kms.create_key(**kwargs)["KeyMetadata"]["KeyId"]


@pytest.fixture(scope="module")
def rsa_key(kms):
    return new_key(kms, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")


# --- task 1 ---

def test_period_right_and_todo(kms):
    key = new_key(kms)
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=180)
    fb = check_rotation_period(kms, key)
    assert fb.status == OK and "2026-11-28" in fb.message, fb.text
    assert check_rotation_period(kms, ...).status == TODO


def test_period_wrong_answers(kms, rsa_key):
    off = new_key(kms)
    default = new_key(kms)
    kms.enable_key_rotation(KeyId=default)
    other = new_key(kms)
    kms.enable_key_rotation(KeyId=other, RotationPeriodInDays=90)
    for key, part, words in [(off, "rotation", "off"), (default, "period", "365 days is the default"),
                             (other, "period", "90 days"), (rsa_key, "key spec", "RSA_2048"),
                             ("alias/nothing", "key_id", "does not know"), (42, "key_id", "int")]:
        fb = check_rotation_period(kms, key)
        assert fb.status == WRONG and fb.part == part and words in fb.message, (part, fb.text)
        assert "lesson 06" in fb.hint


# --- task 2 ---

def test_on_demand(kms, rsa_key):
    key = new_key(kms)
    fb = check_on_demand(kms, key)
    assert fb.status == WRONG and fb.part == "rotation history" and "RotateKeyOnDemand" in fb.message
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=180)       # enabling is not rotating
    assert check_on_demand(kms, key).part == "rotation history"
    kms.rotate_key_on_demand(KeyId=key)
    assert check_on_demand(kms, key).status == OK
    assert check_on_demand(kms, rsa_key).part == "key spec"
    assert check_on_demand(kms, ...).status == TODO


# --- task 3 ---

def test_old_ciphertext_right_answer(kms):
    key = new_key(kms)
    old = kms.encrypt(KeyId=key, Plaintext=NOTE)["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key)
    recovered = kms.decrypt(CiphertextBlob=old)["Plaintext"]
    fb = check_old_ciphertext(kms, key, old, NOTE, recovered)
    assert fb.status == OK and "2 key materials" in fb.message, fb.text
    assert check_old_ciphertext(kms, key, ..., NOTE, ...).status == TODO


def test_old_ciphertext_wrong_answers(kms):
    never = new_key(kms)
    never_ct = kms.encrypt(KeyId=never, Plaintext=NOTE)["CiphertextBlob"]
    rotated = new_key(kms)
    kms.rotate_key_on_demand(KeyId=rotated)
    after_ct = kms.encrypt(KeyId=rotated, Plaintext=NOTE)["CiphertextBlob"]   # made AFTER the rotation
    other_ct = kms.encrypt(KeyId=never, Plaintext=NOTE)["CiphertextBlob"]     # under another key
    wrong_note = kms.encrypt(KeyId=rotated, Plaintext=b"something else")["CiphertextBlob"]
    cases = [
        (never, never_ct, NOTE, "rotation", "never rotated"),
        (rotated, after_ct, NOTE, "timing", "after the rotation"),
        (rotated, other_ct, NOTE, "old_ciphertext", "another key"),
        (rotated, wrong_note, NOTE, "old_ciphertext", "not to `note`"),
        (rotated, b"\x01" * 80, NOTE, "old_ciphertext", "cannot decrypt"),
        (rotated, after_ct.hex(), NOTE, "old_ciphertext", "str"),
    ]
    for key, blob, recovered, part, words in cases:
        fb = check_old_ciphertext(kms, key, blob, NOTE, recovered)
        assert fb.status == WRONG and fb.part == part and words in fb.message, (part, fb.text)
    # right ciphertext, but `recovered` is not the plaintext (e.g. the whole Decrypt response)
    key = new_key(kms)
    old = kms.encrypt(KeyId=key, Plaintext=NOTE)["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key)
    fb = check_old_ciphertext(kms, key, old, NOTE, kms.decrypt(CiphertextBlob=old))
    assert fb.status == WRONG and fb.part == "recovered"


# --- task 4 ---

def _aliased(kms, name):
    old = new_key(kms)
    kms.create_alias(AliasName=name, TargetKeyId=old)
    return old


def test_alias_right_answer(kms):
    old = _aliased(kms, "alias/lab04-ok")
    new = new_key(kms)
    kms.update_alias(AliasName="alias/lab04-ok", TargetKeyId=new)
    assert check_alias_moved(kms, "alias/lab04-ok", old, new).status == OK
    assert check_alias_moved(kms, "alias/lab04-ok", old, ...).status == TODO


def test_alias_wrong_answers(kms, rsa_key):
    def case(name, act):
        old = _aliased(kms, name)
        new = new_key(kms)
        act(old, new)
        return check_alias_moved(kms, name, old, new)

    fb = case("alias/lab04-a", lambda old, new: None)
    assert fb.part == "alias" and "still points at the old key" in fb.message
    fb = case("alias/lab04-b", lambda old, new: (kms.update_alias(AliasName="alias/lab04-b", TargetKeyId=new),
                                                 kms.disable_key(KeyId=old)))
    assert fb.part == "old key" and "Disabled" in fb.message
    fb = case("alias/lab04-c", lambda old, new: (kms.update_alias(AliasName="alias/lab04-c", TargetKeyId=new),
                                                 kms.schedule_key_deletion(KeyId=old, PendingWindowInDays=7)))
    assert fb.part == "old key" and "scheduled for deletion" in fb.message
    fb = case("alias/lab04-d", lambda old, new: kms.delete_alias(AliasName="alias/lab04-d"))
    assert fb.part == "alias" and "no longer exists" in fb.message
    old = _aliased(kms, "alias/lab04-e")
    fb = check_alias_moved(kms, "alias/lab04-e", old, old)
    assert fb.part == "new_key_id" and "old key" in fb.message
    fb = check_alias_moved(kms, "alias/lab04-e", old, rsa_key)
    assert fb.part == "new key" and "same type and usage" in fb.message
    third = new_key(kms)
    fb = case("alias/lab04-f", lambda old, new: kms.update_alias(AliasName="alias/lab04-f", TargetKeyId=third))
    assert fb.part == "alias" and "not new_key_id" in fb.message


# --- more wrong answers, found by working through the starter ---

def test_rotation_checks_name_an_alias_given_as_key_id(kms):
    key = new_key(kms)
    kms.create_alias(AliasName="alias/lab04-rotating", TargetKeyId=key)
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=180)
    kms.rotate_key_on_demand(KeyId=key)
    for fb in (check_rotation_period(kms, "alias/lab04-rotating"), check_on_demand(kms, "alias/lab04-rotating")):
        assert fb.status == WRONG and fb.part == "key_id" and "is an alias" in fb.message, fb.text
    assert check_rotation_period(kms, key).status == OK


@pytest.mark.parametrize("days, words", [(179, "179 days"), (181, "181 days"), (90, "90 days")])
def test_rotation_period_off_by_one(kms, days, words):
    key = new_key(kms)
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=days)
    fb = check_rotation_period(kms, key)
    assert fb.status == WRONG and fb.part == "period" and words in fb.message and "180" in fb.message, fb.text


def test_recovered_in_the_wrong_form(kms):
    key = new_key(kms)
    old = kms.encrypt(KeyId=key, Plaintext=NOTE)["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key)
    fb = check_old_ciphertext(kms, key, old, NOTE, kms.decrypt(CiphertextBlob=old))
    assert fb.status == WRONG and fb.part == "recovered" and "response['Plaintext']" in fb.message, fb.text
    fb = check_old_ciphertext(kms, key, old, NOTE, NOTE.decode())
    assert fb.status == WRONG and fb.part == "recovered" and "str" in fb.message, fb.text
    fb = check_old_ciphertext(kms, key, old, NOTE, kms.encrypt(KeyId=key, Plaintext=NOTE)["CiphertextBlob"])
    assert fb.status == WRONG and fb.part == "recovered" and "Plaintext" in fb.message, fb.text
