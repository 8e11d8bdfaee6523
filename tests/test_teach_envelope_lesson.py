"""teach.envelope_lesson: request counts, the openssl -k trap, log capture (lesson 04)."""
from __future__ import annotations

import base64
import logging
import shutil

import pytest

from kmslab.teach import envelope_lesson as lesson


def test_direct_calls_and_cost():
    assert [lesson.direct_calls(n) for n in (0, 1, 4096, 4097, 2**30)] == [1, 1, 1, 2, 262_144]
    assert lesson.request_cost(10_000) == pytest.approx(0.03)      # sources: request-prices


def test_direct_vs_envelope_counts_real_requests(kms):
    key = kms.create_key()["KeyMetadata"]["Arn"]
    rows = lesson.direct_vs_envelope(kms, key, [4096, 3 * 4096 + 1])
    assert [(r["direct_calls"], r["envelope_calls"]) for r in rows] == [(1, 1), (4, 1)]
    assert all(r["direct_s"] > 0 and r["envelope_s"] > 0 for r in rows)
    fig = lesson.plot_direct_vs_envelope(rows)
    assert len(fig.axes) == 2


def test_speed_plot_reads_in_kib_and_mib_not_powers_of_two():
    """The axis names sizes as people do (4 KiB ... 1 MiB), one tick per measured size."""
    assert [lesson.size_label(n) for n in (512, 4096, 256 * 1024, 2**20, 3 * 2**30)] == \
        ["512 B", "4 KiB", "256 KiB", "1 MiB", "3 GiB"]
    sizes = [4096, 16384, 65536, 2**20]
    rows = [{"size": n, "direct_s": n / 4e6, "direct_calls": n // 4096, "envelope_s": 1e-3, "envelope_calls": 1}
            for n in sizes]
    fig = lesson.plot_direct_vs_envelope(rows)
    fig.canvas.draw()
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_xticklabels()] == ["4 KiB", "16 KiB", "64 KiB", "1 MiB"]
        assert not any("^" in t.get_text() or "$" in t.get_text() for t in ax.get_yticklabels())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl program")
def test_openssl_k_takes_the_literal_text_as_password(tmp_path):
    assert lesson.openssl_password_trap(tmp_path) == {
        "encrypt succeeded": True,
        "ciphertext starts with 'Salted__' (password mode)": True,
        "decrypted without the key file, from the literal text": True,
        "decrypted with the data key as the real key": False}


def test_botocore_debug_log_contains_the_plaintext_data_key(kms, caplog):
    key = kms.create_key()["KeyMetadata"]["Arn"]
    with lesson.captured_log("botocore") as log:
        response = kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    assert base64.b64encode(response["Plaintext"]).decode() in log.getvalue()
    assert logging.getLogger("botocore").propagate is True       # restored afterwards
    assert not caplog.records                                     # nothing reached other handlers
