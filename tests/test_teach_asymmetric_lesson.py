"""teach.asymmetric_lesson: the plaintext-limit table agrees with the formula and with the sandbox."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from kmslab.teach import asymmetric_lesson as lesson


@pytest.mark.parametrize("spec,algorithm", [k for k in lesson.PLAINTEXT_LIMITS if k[0].startswith("RSA")])
def test_table_matches_the_oaep_formula(spec, algorithm):
    bits = int(spec.split("_")[1])
    assert lesson.PLAINTEXT_LIMITS[(spec, algorithm)] == lesson.oaep_limit(bits, lesson.HASH_BITS[algorithm])


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
def test_rsa_2048_limit_through_kms(kms, algorithm):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    limit = lesson.PLAINTEXT_LIMITS[("RSA_2048", algorithm)]
    kms.encrypt(KeyId=key, Plaintext=b"x" * limit, EncryptionAlgorithm=algorithm)
    with pytest.raises(ClientError) as caught:
        kms.encrypt(KeyId=key, Plaintext=b"x" * (limit + 1), EncryptionAlgorithm=algorithm)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_table_text_and_figures():
    assert "RSA_4096" in lesson.limits_table() and "446" in lesson.limits_table()
    assert len(lesson.plot_plaintext_limits().axes) == 1
    rates = lesson.speed(budget=0.01)
    ratios = lesson.slowdown(rates)
    assert ratios["AES-256-GCM decrypt"] == 1
    assert ratios["RSA-2048 OAEP decrypt"] > 10        # the claim lesson 05 prints
    assert len(lesson.plot_slowdown(rates).axes) == 1
