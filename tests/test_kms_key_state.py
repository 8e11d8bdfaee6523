"""Key state rules (sources: deletion-waiting-period, disable-before-delete, key-states): moto let disabled and pending keys encrypt."""
import datetime as dt

import pytest

from kms_helpers import error_code


def new_key(kms):
    return kms.create_key()["KeyMetadata"]


def test_disabled_key_refuses_cryptography(kms):
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key["Arn"])
    for call, kwargs in [(kms.encrypt, {"KeyId": key["KeyId"], "Plaintext": b"x"}),
                         (kms.decrypt, {"CiphertextBlob": blob}),
                         (kms.generate_data_key, {"KeyId": key["KeyId"], "KeySpec": "AES_256"})]:
        assert error_code(call, **kwargs) == ("DisabledException", f"{key['Arn']} is disabled.")
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_pending_deletion_refuses_cryptography(kms):
    key = new_key(kms)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert error_code(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == (
        "KMSInvalidStateException", f"{key['Arn']} is pending deletion.")


def test_pending_import_refuses_cryptography(kms):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert key["KeyState"] == "PendingImport" and key["Enabled"] is False
    assert error_code(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == (
        "KMSInvalidStateException", f"{key['Arn']} is pending import.")


@pytest.mark.parametrize("days", [6, 31])
def test_schedule_window_is_7_to_30_days(kms, days):
    key = new_key(kms)
    code, message = error_code(kms.schedule_key_deletion, KeyId=key["KeyId"], PendingWindowInDays=days)
    assert code == "ValidationException" and "pendingWindowInDays" in message
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_schedule_default_30_days_from_sandbox_clock(sb, kms):
    key = new_key(kms)
    answer = kms.schedule_key_deletion(KeyId=key["KeyId"])
    assert answer["PendingWindowInDays"] == 30 and answer["KeyState"] == "PendingDeletion"
    expected = sb.clock.now() + dt.timedelta(days=30)
    assert answer["DeletionDate"].replace(tzinfo=None) == expected.replace(microsecond=0) or \
        abs(answer["DeletionDate"].timestamp() - expected.replace(tzinfo=dt.timezone.utc).timestamp()) < 1


def test_cancel_deletion_leaves_key_disabled(kms):
    key = new_key(kms)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "Disabled" and "DeletionDate" not in meta
    assert error_code(kms.cancel_key_deletion, KeyId=key["KeyId"])[0] == "KMSInvalidStateException"


def test_key_is_gone_after_the_waiting_period(sb, kms):
    key = new_key(kms)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    sb.clock.advance(dt.timedelta(days=7, seconds=1))
    assert error_code(kms.describe_key, KeyId=key["KeyId"])[0] == "NotFoundException"
