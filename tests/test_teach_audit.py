"""teach.audit's key column: every key shows as its short id, whether the record names it or only the request does."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from kmslab.teach import audit


def test_failed_call_names_the_key_by_its_short_id(sb):
    kms, ct = sb.client("kms"), sb.client("cloudtrail")
    one = kms.create_key()["KeyMetadata"]
    other = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=one["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    for named in (other["KeyId"], other["Arn"]):
        with pytest.raises(ClientError, match="IncorrectKeyException"):
            kms.decrypt(CiphertextBlob=blob, KeyId=named)
    failed = [row for row in audit.rows(audit.lookup(ct, "Decrypt")) if row[4] == "IncorrectKeyException"]
    assert [row[2] for row in failed] == [other["KeyId"][:8]] * 2


def test_alias_names_stay_as_written():
    record = {"requestParameters": {"keyId": "alias/orders"}}
    assert audit.key(record) == "alias/orders"
    assert audit.key({"requestParameters": {"keyId": "mrk-" + "a" * 32}}) == "mrk-aaaa"
    assert audit.key({}) == "-"
