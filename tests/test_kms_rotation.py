"""Rotation with real new key material (sources: automatic-rotation, on-demand-rotation, rotation-history, rotation-keeps-old-material, keys-that-cannot-rotate, imported-key-material, manual-rotation, aws-managed-key-rotation, rotation-and-key-state)."""
import datetime as dt

import pytest

from kms_helpers import error_code


def test_rotation_period_and_next_date(sb, kms):
    key = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key["Arn"])
    assert status["KeyRotationEnabled"] and status["RotationPeriodInDays"] == 90
    expected = (sb.clock.now() + dt.timedelta(days=90)).replace(tzinfo=dt.timezone.utc)
    assert status["NextRotationDate"].timestamp() == expected.timestamp()
    assert error_code(kms.enable_key_rotation, KeyId=key["KeyId"], RotationPeriodInDays=2561)[0] == \
        "ValidationException"
    kms.enable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["RotationPeriodInDays"] == 365


def test_on_demand_rotation_changes_material(kms):
    key = kms.create_key()["KeyMetadata"]
    old = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"old")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    new = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"new")["CiphertextBlob"]
    old_dec, new_dec = kms.decrypt(CiphertextBlob=old), kms.decrypt(CiphertextBlob=new)
    assert old_dec["Plaintext"] == b"old" and new_dec["Plaintext"] == b"new"
    assert old_dec["KeyMaterialId"] != new_dec["KeyMaterialId"]
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    assert rotations[0]["KeyMaterialId"] == new_dec["KeyMaterialId"]
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == new_dec["KeyMaterialId"]


def test_on_demand_limit_is_25(kms):
    key = kms.create_key()["KeyMetadata"]
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_code(kms.rotate_key_on_demand, KeyId=key["KeyId"])[0] == "LimitExceededException"


@pytest.mark.parametrize("spec,usage", [("RSA_2048", "ENCRYPT_DECRYPT"), ("HMAC_256", "GENERATE_VERIFY_MAC")])
def test_rotation_rejected_for_asymmetric_and_hmac(kms, spec, usage):
    key = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
    assert error_code(kms.rotate_key_on_demand, KeyId=key["KeyId"])[0] == "UnsupportedOperationException"
    assert error_code(kms.enable_key_rotation, KeyId=key["KeyId"])[0] == "UnsupportedOperationException"


def test_automatic_rotation_when_the_clock_passes(sb, kms):
    key = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    before = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"a")["CiphertextBlob"]
    sb.clock.advance(dt.timedelta(days=181))
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC", "AUTOMATIC"]
    assert kms.decrypt(CiphertextBlob=before)["Plaintext"] == b"a"
    after = kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key["KeyId"], Plaintext=b"b")["CiphertextBlob"])
    assert after["KeyMaterialId"] == rotations[-1]["KeyMaterialId"]


def test_pending_deletion_shows_rotation_off(kms):
    key = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
