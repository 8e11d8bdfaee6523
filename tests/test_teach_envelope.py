"""teach.envelope: the package's envelope file format, through a real boto3 KMS client on the sandbox."""
from __future__ import annotations

import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmslab.teach import envelope as ev
from kmslab.teach import envelope_format as fmt

FRAME = 16                                  # tiny frames so small inputs cross many frame boundaries
CONTEXT = {"purpose": "test", "dept": "42"}
PLAINTEXT = bytes(range(256)) * 3 + b"tail"  # 772 bytes = 48 full frames + 4


@pytest.fixture(scope="module")
def key(kms):
    return kms.create_key(Description="envelope tests")["KeyMetadata"]["Arn"]


@pytest.fixture(scope="module")
def other_key(kms):
    return kms.create_key(Description="another key")["KeyMetadata"]["Arn"]


@pytest.fixture(scope="module")
def sample(kms, key):
    """A small envelope with 3 full frames and a short final one."""
    return ev.encrypt_bytes(kms, key, b"0123456789abcdef" * 3 + b"xyz", CONTEXT, frame_size=FRAME)


def layout(blob: bytes) -> dict[str, tuple[int, int]]:
    """Byte ranges of the named fields of an envelope (for targeted flips)."""
    header = ev.header_of(blob)
    arn_at = 8 + 1 + 4
    edk_at = arn_at + 2 + len(header.key_arn)
    ctx_at = edk_at + 2 + len(header.encrypted_data_key)
    tag_at = len(header.to_bytes())
    frames_at = tag_at + 16
    return {"magic": (0, 8), "version": (8, 9), "frame size": (9, 13), "key ARN": (arn_at + 2, edk_at),
            "data key": (edk_at + 2, ctx_at), "context": (ctx_at, tag_at), "header tag": (tag_at, frames_at),
            "frame kind": (frames_at, frames_at + 1), "frame length": (frames_at + 1, frames_at + 5),
            "frame ciphertext": (frames_at + 5, frames_at + 5 + FRAME),
            "frame tag": (frames_at + 5 + FRAME, frames_at + 5 + FRAME + 16),
            "final frame": (len(blob) - 3 - 16 - 5, len(blob))}


def flip(blob: bytes, bit: int) -> bytes:
    data = bytearray(blob)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


# -- round trips -----------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [0, 1, FRAME - 1, FRAME, FRAME + 1, 2 * FRAME, 5 * FRAME + 3])
def test_round_trip_at_frame_boundaries(kms, key, size):
    data = os.urandom(size)
    blob = ev.encrypt_bytes(kms, key, data, CONTEXT, frame_size=FRAME)
    assert ev.decrypt_bytes(kms, blob, CONTEXT, key_id=key) == data
    full, rest = divmod(size, FRAME)
    frames = max(1, full + (rest > 0))                      # always at least the final frame
    assert len(blob) == len(ev.header_of(blob).to_bytes()) + 16 + frames * (5 + 16) + size


def test_header_records_key_arn_context_and_frame_size(kms, key, sample):
    header = ev.header_of(sample)
    assert header.key_arn == key
    assert header.context == CONTEXT
    assert header.frame_size == FRAME
    assert header.version == 1
    assert b"0123456789" not in sample


def test_one_kms_call_each_way(kms, key, sb):
    from kmslab.teach.mitigations import Counter
    with Counter() as encrypt_calls:
        blob = ev.encrypt_bytes(kms, key, b"x" * 10_000, frame_size=FRAME)
    with Counter() as decrypt_calls:
        ev.decrypt_bytes(kms, blob, {}, key_id=key)
    assert (encrypt_calls.count, decrypt_calls.count) == (1, 1)


def test_each_file_gets_a_fresh_data_key(kms, key):
    one = ev.header_of(ev.encrypt_bytes(kms, key, b"same"))
    two = ev.header_of(ev.encrypt_bytes(kms, key, b"same"))
    assert one.encrypted_data_key != two.encrypted_data_key


def test_data_key_is_bound_to_the_context_in_kms(kms, key, sample):
    """KMS itself refuses the stored data key under another context (not only our header check)."""
    from botocore.exceptions import ClientError
    edk = ev.header_of(sample).encrypted_data_key
    with pytest.raises(ClientError) as caught:
        kms.decrypt(CiphertextBlob=edk, EncryptionContext={"purpose": "other"})
    assert caught.value.response["Error"]["Code"] == "InvalidCiphertextException"
    assert len(kms.decrypt(CiphertextBlob=edk, EncryptionContext=CONTEXT)["Plaintext"]) == 32


def test_stream_variant_with_short_reads(kms, key):
    class Trickle(io.RawIOBase):          # returns at most 5 bytes per read, like a slow socket
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def read(self, size=-1):
            return self.data.read(min(size, 5) if size and size > 0 else 5)

    data = os.urandom(5 * FRAME + 7)
    out = io.BytesIO()
    ev.encrypt_stream(kms, key, Trickle(data), out, CONTEXT, frame_size=FRAME)
    back = io.BytesIO()
    ev.decrypt_stream(kms, Trickle(out.getvalue()), back, CONTEXT, key_id=key)
    assert back.getvalue() == data


def test_file_round_trip(kms, key, tmp_path):
    src, enc, dec = tmp_path / "plain.bin", tmp_path / "plain.bin.kenv", tmp_path / "back.bin"
    src.write_bytes(PLAINTEXT)
    header = ev.encrypt_file(kms, key, src, enc, CONTEXT, frame_size=FRAME)
    assert header.key_arn == key
    ev.decrypt_file(kms, enc, dec, CONTEXT, key_id=key)
    assert dec.read_bytes() == PLAINTEXT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["back.bin", "plain.bin", "plain.bin.kenv"]


def test_invalid_arguments(kms, key):
    with pytest.raises(ValueError):
        ev.encrypt_bytes(kms, key, b"x", frame_size=0)
    with pytest.raises(TypeError):
        ev.encrypt_bytes(kms, key, b"x", {"n": 1})


# -- failures: each with its own error and a message saying what to do ----------------------------
def test_wrong_context(kms, key, sample):
    with pytest.raises(ev.EnvelopeContextError, match="Pass exactly the context"):
        ev.decrypt_bytes(kms, sample, {"purpose": "test"}, key_id=key)
    with pytest.raises(ev.EnvelopeContextError):
        ev.decrypt_bytes(kms, sample, {"purpose": "Test", "dept": "42"}, key_id=key)   # case-sensitive
    assert ev.decrypt_bytes(kms, sample, {"dept": "42", "purpose": "test"}, key_id=key)  # order does not matter


def test_wrong_key(kms, sample, other_key):
    with pytest.raises(ev.EnvelopeKeyError, match="IncorrectKeyException") as caught:
        ev.decrypt_bytes(kms, sample, CONTEXT, key_id=other_key)
    assert ev.header_of(sample).key_arn in str(caught.value)


def test_disabled_key(kms, sb):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = ev.encrypt_bytes(kms, key, b"data")
    kms.disable_key(KeyId=key)
    with pytest.raises(ev.EnvelopeKeyError, match="DisabledException"):
        ev.decrypt_bytes(kms, blob, {}, key_id=key)


def test_not_an_envelope(kms, key):
    with pytest.raises(ev.EnvelopeFormatError, match="not a kmslab envelope"):
        ev.decrypt_bytes(kms, b"just some plaintext, not encrypted", {}, key_id=key)
    with pytest.raises(ev.EnvelopeFormatError, match="empty"):
        ev.decrypt_bytes(kms, b"", {}, key_id=key)


@pytest.mark.parametrize("part", ["magic", "version", "frame size", "key ARN", "data key", "context",
                                  "header tag", "frame kind", "frame length", "frame ciphertext",
                                  "frame tag", "final frame"])
def test_a_flip_in_each_part_is_refused(kms, key, sample, part):
    start, end = layout(sample)[part]
    for byte in (start, end - 1):
        with pytest.raises(ev.EnvelopeError):
            ev.decrypt_bytes(kms, flip(sample, byte * 8), CONTEXT, key_id=key)


def test_tampered_frame_message(kms, key, sample):
    start, _ = layout(sample)["frame ciphertext"]
    with pytest.raises(ev.EnvelopeTamperedError, match="Frame 1 failed authentication"):
        ev.decrypt_bytes(kms, flip(sample, start * 8), CONTEXT, key_id=key)


def test_dropped_final_frame_is_truncation(kms, key, sample):
    start, _ = layout(sample)["final frame"]
    with pytest.raises(ev.EnvelopeTruncatedError, match="before its final frame"):
        ev.decrypt_bytes(kms, sample[:start], CONTEXT, key_id=key)


def test_swapped_and_appended_frames(kms, key, sample):
    lay = layout(sample)
    first = lay["frame kind"][0]
    size = 5 + FRAME + 16
    frames = [sample[first + i * size: first + (i + 1) * size] for i in range(3)]
    swapped = sample[:first] + frames[1] + frames[0] + sample[first + 2 * size:]
    with pytest.raises(ev.EnvelopeTamperedError):
        ev.decrypt_bytes(kms, swapped, CONTEXT, key_id=key)
    with pytest.raises(ev.EnvelopeTamperedError, match="after the final frame"):
        ev.decrypt_bytes(kms, sample + b"\x00", CONTEXT, key_id=key)


def test_frame_from_another_file_is_refused(kms, key):
    """Same key, same context, same frame number: the header in the AAD still ties frames to their file."""
    one = ev.encrypt_bytes(kms, key, b"A" * FRAME * 2, CONTEXT, frame_size=FRAME)
    two = ev.encrypt_bytes(kms, key, b"B" * FRAME * 2, CONTEXT, frame_size=FRAME)
    first = layout(one)["frame kind"][0]
    mixed = one[:first] + two[first:]
    with pytest.raises(ev.EnvelopeTamperedError):
        ev.decrypt_bytes(kms, mixed, CONTEXT, key_id=key)


# -- no partial plaintext ---------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["truncate", "flip last byte", "wrong context", "wrong key"])
def test_decrypt_file_leaves_no_output_on_failure(kms, key, other_key, tmp_path, damage):
    src, enc, dst = tmp_path / "plain.bin", tmp_path / "data.kenv", tmp_path / "out.bin"
    src.write_bytes(PLAINTEXT)
    ev.encrypt_file(kms, key, src, enc, CONTEXT, frame_size=FRAME)
    blob = enc.read_bytes()
    context, key_id = CONTEXT, key
    if damage == "truncate":
        enc.write_bytes(blob[:-1])
    elif damage == "flip last byte":
        enc.write_bytes(flip(blob, len(blob) * 8 - 1))
    elif damage == "wrong context":
        context = {"purpose": "other"}
    else:
        key_id = other_key
    with pytest.raises(ev.EnvelopeError):
        ev.decrypt_file(kms, enc, dst, context, key_id=key_id)
    assert not dst.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.kenv", "plain.bin"]


def test_failed_decrypt_keeps_an_existing_destination(kms, key, tmp_path):
    enc, dst = tmp_path / "data.kenv", tmp_path / "out.bin"
    enc.write_bytes(ev.encrypt_bytes(kms, key, PLAINTEXT, frame_size=FRAME)[:-5])
    dst.write_bytes(b"previous content")
    with pytest.raises(ev.EnvelopeTruncatedError):
        ev.decrypt_file(kms, enc, dst, {}, key_id=key)
    assert dst.read_bytes() == b"previous content"


def test_encrypt_file_leaves_no_output_when_kms_fails(kms, tmp_path):
    src, dst = tmp_path / "plain.bin", tmp_path / "data.kenv"
    src.write_bytes(b"data")
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError):
        ev.encrypt_file(kms, "alias/does-not-exist", src, dst)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.bin"]


# -- properties -------------------------------------------------------------------------------------
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
contexts = st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=12), max_size=4)


@PROPERTY
@given(data=st.one_of(st.binary(max_size=4 * FRAME + 1),
                      st.integers(0, 6).map(lambda n: b"\x5a" * (n * FRAME))),   # exact multiples
       context=contexts, frame_size=st.sampled_from([1, 7, FRAME, 64]))
def test_property_round_trip(kms, key, data, context, frame_size):
    blob = ev.encrypt_bytes(kms, key, data, context, frame_size=frame_size)
    assert ev.decrypt_bytes(kms, blob, context, key_id=key) == data
    assert ev.header_of(blob).context == context


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bit=st.integers(min_value=0))
def test_property_any_single_bit_flip_is_rejected(kms, key, sample, bit):
    bit %= len(sample) * 8
    with pytest.raises(ev.EnvelopeError):
        ev.decrypt_bytes(kms, flip(sample, bit), CONTEXT, key_id=key)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0))
def test_property_truncation_anywhere_is_rejected(kms, key, sample, cut):
    cut %= len(sample)
    with pytest.raises(ev.EnvelopeError):
        ev.decrypt_bytes(kms, sample[:cut], CONTEXT, key_id=key)


@PROPERTY
@given(context=contexts, other=contexts)
def test_property_wrong_context_is_rejected(kms, key, context, other):
    if context == other:
        return
    blob = ev.encrypt_bytes(kms, key, b"secret", context)
    with pytest.raises(ev.EnvelopeContextError):
        ev.decrypt_bytes(kms, blob, other, key_id=key)


def test_every_bit_of_the_header_and_first_frame(kms, key):
    """Exhaustive, on a tiny envelope: every single-bit flip up to the end of frame 1 is refused."""
    blob = ev.encrypt_bytes(kms, key, b"ab", {"k": "v"}, frame_size=1)
    end = len(ev.header_of(blob).to_bytes()) + 16 + 5 + 1 + 16
    for bit in range(0, end * 8, 3):       # every third bit keeps it quick; the property test samples all
        with pytest.raises(ev.EnvelopeError):
            ev.decrypt_bytes(kms, flip(blob, bit), {"k": "v"}, key_id=key)


def test_max_frame_size_bounds_reader_memory(kms, key):
    bogus = fmt.MAGIC + bytes([1]) + (fmt.MAX_FRAME_SIZE + 1).to_bytes(4, "big") + b"\x00" * 40
    with pytest.raises(ev.EnvelopeFormatError, match="frame size"):
        ev.decrypt_bytes(kms, bogus, {}, key_id=key)


# -- strict mode: never trust the key named in the file (issue 15 §3) ----------------------------------
def test_the_header_key_attack_is_refused_by_default(kms, key, other_key, tmp_path):
    """An attacker who can replace the file writes one under another key the reader may use.
    Trusting the ARN in the header, the reader would decrypt the attacker's content "successfully"."""
    forged, out = tmp_path / "report.kenv", tmp_path / "report.out"
    (tmp_path / "attacker.txt").write_bytes(b"pay the attacker")
    ev.encrypt_file(kms, other_key, tmp_path / "attacker.txt", forged, CONTEXT)
    with pytest.raises(ev.EnvelopeKeyRequiredError, match="key_id"):
        ev.decrypt_file(kms, forged, out, CONTEXT)                       # strict by default: no key, no trust
    with pytest.raises(ev.EnvelopeKeyError, match="IncorrectKeyException"):
        ev.decrypt_file(kms, forged, out, CONTEXT, key_id=key)           # the key we expect refuses it
    assert not out.exists()
    ev.decrypt_file(kms, forged, out, CONTEXT, discovery=True)          # the unsafe, explicit opt-in
    assert out.read_bytes() == b"pay the attacker"


def test_strict_mode_applies_to_bytes_and_streams(kms, sample):
    with pytest.raises(ev.EnvelopeKeyRequiredError):
        ev.decrypt_bytes(kms, sample, CONTEXT)
    with pytest.raises(ev.EnvelopeKeyRequiredError):
        ev.decrypt_stream(kms, io.BytesIO(sample), io.BytesIO(), CONTEXT)
    assert ev.decrypt_bytes(kms, sample, CONTEXT, discovery=True)


# -- a killed decrypt leaves no plaintext ----------------------------------------------------------------
KILLED_CHILD = r"""
import sys
from pathlib import Path
from kmslab import sandbox
from kmslab.teach import envelope

folder = Path(sys.argv[1])
sb = sandbox.start()
kms = sb.client("kms")
key = kms.create_key()["KeyMetadata"]["Arn"]
(folder / "plain.bin").write_bytes(b"secret plaintext " * 4096)
envelope.encrypt_file(kms, key, folder / "plain.bin", folder / "data.kenv", {}, frame_size=4096)
(folder / "plain.bin").unlink()

class Stalls:                              # AESGCM, stalling after four frames were written
    calls = 0
    def __init__(self, key):
        self.aead = real(key)
    def decrypt(self, nonce, data, aad):
        Stalls.calls += 1
        if Stalls.calls == 6:              # the header tag, then four frames: stop here
            print("decrypting", flush=True)
            sys.stdin.read()               # wait to be killed
        return self.aead.decrypt(nonce, data, aad)

real, envelope.AESGCM = envelope.AESGCM, Stalls
envelope.decrypt_file(kms, folder / "data.kenv", folder / "data.out", {}, key_id=key)
"""


def test_sigkill_during_decrypt_file_leaves_no_plaintext(tmp_path):
    import signal
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", KILLED_CHILD, str(tmp_path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "decrypting"
        child.send_signal(signal.SIGKILL)                                    # like the OOM killer
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    if not ev.UNNAMED_TEMP_FILES:
        pytest.skip("this platform has no O_TMPFILE: a killed decrypt leaves a .partial file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.kenv"]


def test_decrypt_file_output_replaces_an_existing_file(kms, key, tmp_path):
    src, enc, dst = tmp_path / "plain.bin", tmp_path / "data.kenv", tmp_path / "out.bin"
    src.write_bytes(PLAINTEXT)
    ev.encrypt_file(kms, key, src, enc, CONTEXT, frame_size=FRAME)
    dst.write_bytes(b"old")
    ev.decrypt_file(kms, enc, dst, CONTEXT, key_id=key)
    assert dst.read_bytes() == PLAINTEXT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.kenv", "out.bin", "plain.bin"]
    assert (dst.stat().st_mode & 0o777) == 0o600                        # like the temporary file it was


@pytest.mark.parametrize("way", ["named temporary file", "unnamed file that cannot be linked"])
def test_the_fallbacks_write_the_same_output(kms, key, tmp_path, monkeypatch, way):
    if way == "named temporary file":
        monkeypatch.setattr(ev, "UNNAMED_TEMP_FILES", False)
    else:
        monkeypatch.setattr(ev, "_link", lambda fd, path: False)
    src, enc, dst = tmp_path / "plain.bin", tmp_path / "data.kenv", tmp_path / "out.bin"
    src.write_bytes(PLAINTEXT)
    ev.encrypt_file(kms, key, src, enc, CONTEXT, frame_size=FRAME)
    ev.decrypt_file(kms, enc, dst, CONTEXT, key_id=key)
    assert dst.read_bytes() == PLAINTEXT
    enc.write_bytes(enc.read_bytes()[:-1])
    with pytest.raises(ev.EnvelopeTruncatedError):
        ev.decrypt_file(kms, enc, tmp_path / "again.bin", CONTEXT, key_id=key)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.kenv", "out.bin", "plain.bin"]
