"""Envelope encryption of files with a KMS data key and AES-256-GCM frames (lesson 04).

    from kmslab.teach import envelope
    envelope.encrypt_file(kms, key_arn, "report.csv", "report.csv.kenv", {"purpose": "report"})
    envelope.decrypt_file(kms, "report.csv.kenv", "report.csv", {"purpose": "report"}, key_id=key_arn)

The workflow is the one AWS documents for data keys (sources: data-key-workflow): GenerateDataKey,
encrypt locally with the plaintext data key, drop it, store the encrypted data key
with the data; to read, Decrypt the encrypted data key and decrypt locally. One KMS
call per file either way, whatever its size. The byte layout is in `envelope_format`.

Guarantees
- Streaming: memory is bounded by the frame size (256 KiB by default), not the file size.
- Authenticated: any changed, reordered, dropped or appended byte is refused, and so is a
  file cut short, with a named `EnvelopeError` subclass whose message says what to do.
- The encryption context is bound twice: KMS binds it to the data key (AAD of the KMS
  call) and every frame's AAD includes it. It is stored in clear in the header, like
  the AWS Encryption SDK does, because an encryption context is not secret (sources: encryption-context).
- Strict by default: decrypting needs `key_id`, the KMS key you expect. The key ARN in the
  header is written by whoever wrote the file; an attacker who can replace the file can
  write one under any other key you may use, and trusting the header would decrypt the
  attacker's content "successfully". KMS Decrypt with `KeyId` refuses a data key made under
  another key (IncorrectKeyException). `discovery=True` trusts the header instead, on
  purpose. The AWS Encryption SDK makes the same choice: strict mode, with the key ARNs
  named, is its default
  (https://docs.aws.amazon.com/encryption-sdk/latest/developer-guide/best-practices.html).
- `decrypt_file`/`encrypt_file` never leave partial output. On Linux they write into an
  unnamed temporary file (O_TMPFILE) in the destination folder and link it into place
  only on success, so even SIGKILL, the out-of-memory killer or a power cut leaves no
  plaintext behind (the kernel frees an unnamed file). Elsewhere they write a named
  temporary file and `os.replace` it on success, deleting it on any error or Ctrl-C; there
  a killed process leaves `.<name>.XXXX.partial`. The stream variants write each frame once
  it is authenticated, so a caller of `decrypt_stream` must discard its output if it raises.

About "erase the plaintext data key": Python cannot promise it. The key arrives as an
immutable `bytes` object inside botocore's parsed response, and AESGCM keeps its own
copy inside OpenSSL until the object is garbage collected. What this module does is
drop every reference it holds as soon as the AESGCM object exists, and never log,
print or store the key. Freed memory is not zeroed. Code that must guarantee erasure
needs a language with control over memory (the AWS Encryption SDKs for C or Rust).
"""
from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import IO, Iterator, Mapping

from botocore.exceptions import ClientError, ParamValidationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .envelope_format import (DATA_KEY_BYTES, DEFAULT_FRAME_SIZE, FINAL, FRAME_PREFIX, MAX_FRAME_SIZE, MORE,
                              TAG_SIZE, EnvelopeContextError, EnvelopeError, EnvelopeFormatError,
                              EnvelopeKeyError, EnvelopeKeyRequiredError, EnvelopeTamperedError,
                              EnvelopeTruncatedError, Header, frame_aad, frame_nonce, read_exact, read_header)

__all__ = ["encrypt_file", "decrypt_file", "encrypt_stream", "decrypt_stream", "encrypt_bytes",
           "decrypt_bytes", "header_of", "Header", "EnvelopeError", "EnvelopeFormatError",
           "EnvelopeTruncatedError", "EnvelopeTamperedError", "EnvelopeContextError", "EnvelopeKeyError",
           "EnvelopeKeyRequiredError", "DEFAULT_FRAME_SIZE", "UNNAMED_TEMP_FILES"]

PathLike = str | os.PathLike

#: Whether file output goes through an unnamed temporary file (Linux's O_TMPFILE, linked into
#: place through /proc/self/fd), which nothing can leave behind.
UNNAMED_TEMP_FILES = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")


# -- streams ------------------------------------------------------------------------------------
def encrypt_stream(kms, key_id: str, reader: IO[bytes], writer: IO[bytes],
                   context: Mapping[str, str] | None = None,
                   frame_size: int = DEFAULT_FRAME_SIZE) -> Header:
    """Read plaintext from `reader`, write an envelope to `writer`. One GenerateDataKey call."""
    context = _context(context)
    if not 1 <= frame_size <= MAX_FRAME_SIZE:
        raise ValueError(f"frame_size must be 1..{MAX_FRAME_SIZE}, not {frame_size}")
    request = {"KeyId": key_id, "KeySpec": "AES_256"}
    if context:
        request["EncryptionContext"] = context
    response = kms.generate_data_key(**request)
    aead = AESGCM(response.pop("Plaintext"))     # the only reference to the plaintext key is gone
    header = Header(frame_size, response["KeyId"], response["CiphertextBlob"], context)
    header_bytes = header.to_bytes()
    writer.write(header_bytes)
    writer.write(aead.encrypt(frame_nonce(0), b"", header_bytes))   # the header tag
    number, chunk = 1, read_exact(reader, frame_size)
    while True:
        # Read one frame ahead: only then do we know whether this frame is the last.
        following = read_exact(reader, frame_size) if len(chunk) == frame_size else b""
        kind = MORE if following else FINAL
        writer.write(FRAME_PREFIX.pack(kind, len(chunk)))
        writer.write(aead.encrypt(frame_nonce(number), chunk, frame_aad(header_bytes, number, kind, len(chunk))))
        if kind == FINAL:
            return header
        number, chunk = number + 1, following


def decrypt_stream(kms, reader: IO[bytes], writer: IO[bytes], context: Mapping[str, str] | None,
                   key_id: str | None = None, *, discovery: bool = False) -> Header:
    """Read an envelope from `reader`, write plaintext to `writer` frame by frame. One Decrypt call.

    `context` must equal the one used to encrypt (exact match, like KMS). `key_id` is the KMS
    key you expect; it is passed to KMS Decrypt, which refuses a data key made under another
    key. Without it the call is refused, unless `discovery=True` says to trust the key ARN
    written in the header (see the module docstring).
    On error, what was already written to `writer` must be discarded (decrypt_file does that).
    """
    header, header_bytes, header_tag = read_header(reader)
    if key_id is None and not discovery:
        raise EnvelopeKeyRequiredError(
            f"Name the KMS key you expect: key_id=<its ARN>. This file says it was encrypted under "
            f"{header.key_arn}, but whoever wrote the file wrote that too; an attacker who can replace "
            "the file can name any key you may use. Pass discovery=True only to trust the file's writer.")
    expected = _context(context)
    if header.context != expected:
        raise EnvelopeContextError(
            f"The encryption context does not match: the file was written with {header.context}, "
            f"you passed {expected}. Pass exactly the context used to encrypt (keys and values are "
            "case-sensitive; only the order of pairs may differ).")
    aead = _open_data_key(kms, header, key_id)
    try:
        aead.decrypt(frame_nonce(0), header_tag, header_bytes)
    except InvalidTag:
        raise EnvelopeTamperedError("The header failed authentication: its frame size, key ARN or context "
                                    "was altered. Do not use this file; restore it from a good copy.") from None
    number = 1
    while True:
        prefix = read_exact(reader, FRAME_PREFIX.size)
        if len(prefix) < FRAME_PREFIX.size:
            raise _cut_short(f"before its final frame (after {number - 1} complete frames)")
        kind, length = FRAME_PREFIX.unpack(prefix)
        if kind not in (MORE, FINAL) or length > header.frame_size or (kind == MORE and length != header.frame_size):
            raise EnvelopeTamperedError(f"Frame {number} has an impossible kind ({kind}) or length ({length}): "
                                        "the file was altered. Do not use it; restore it from a good copy.")
        body = read_exact(reader, length + TAG_SIZE)
        if len(body) < length + TAG_SIZE:
            raise _cut_short(f"inside frame {number}")
        try:
            plaintext = aead.decrypt(frame_nonce(number), body, frame_aad(header_bytes, number, kind, length))
        except InvalidTag:
            raise EnvelopeTamperedError(f"Frame {number} failed authentication: its bytes were altered, or frames "
                                        "were reordered or swapped in from another file. Do not use this "
                                        "file; restore it from a good copy.") from None
        writer.write(plaintext)
        if kind == FINAL:
            break
        number += 1
    if read_exact(reader, 1):
        raise EnvelopeTamperedError("There are bytes after the final frame: something was appended to the file. "
                                    "Do not use it; restore it from a good copy.")
    return header


# -- bytes --------------------------------------------------------------------------------------
def encrypt_bytes(kms, key_id: str, data: bytes, context: Mapping[str, str] | None = None,
                  frame_size: int = DEFAULT_FRAME_SIZE) -> bytes:
    out = io.BytesIO()
    encrypt_stream(kms, key_id, io.BytesIO(data), out, context, frame_size)
    return out.getvalue()


def decrypt_bytes(kms, envelope: bytes, context: Mapping[str, str] | None,
                  key_id: str | None = None, *, discovery: bool = False) -> bytes:
    """The plaintext, returned only if the whole envelope is authentic (key_id: see decrypt_stream)."""
    out = io.BytesIO()
    decrypt_stream(kms, io.BytesIO(envelope), out, context, key_id, discovery=discovery)
    return out.getvalue()


# -- files --------------------------------------------------------------------------------------
def encrypt_file(kms, key_id: str, src: PathLike, dst: PathLike, context: Mapping[str, str] | None = None,
                 frame_size: int = DEFAULT_FRAME_SIZE) -> Header:
    """Encrypt file `src` into `dst` (written atomically). Returns the header written."""
    with open(src, "rb") as reader, _atomic_output(dst) as writer:
        return encrypt_stream(kms, key_id, reader, writer, context, frame_size)


def decrypt_file(kms, src: PathLike, dst: PathLike, context: Mapping[str, str] | None,
                 key_id: str | None = None, *, discovery: bool = False) -> Header:
    """Decrypt envelope file `src` into `dst`, under the KMS key `key_id` you expect (required
    unless `discovery=True`). On any error `dst` is not created (or left as it was)."""
    with open(src, "rb") as reader, _atomic_output(dst) as writer:
        return decrypt_stream(kms, reader, writer, context, key_id, discovery=discovery)


def header_of(source: PathLike | bytes) -> Header:
    """The header of an envelope (a path or the bytes), without calling KMS or checking the tags."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return read_header(io.BytesIO(bytes(source)))[0]
    with open(source, "rb") as reader:
        return read_header(reader)[0]


# -- helpers ------------------------------------------------------------------------------------
def _context(context: Mapping[str, str] | None) -> dict[str, str]:
    context = dict(context or {})
    for name, value in context.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("encryption context keys and values must be strings")
    return context


def _open_data_key(kms, header: Header, key_id: str | None) -> AESGCM:
    """KMS Decrypt of the encrypted data key -> an AESGCM object (the plaintext key is not kept)."""
    request = {"CiphertextBlob": header.encrypted_data_key, "KeyId": key_id or header.key_arn}
    if header.context:
        request["EncryptionContext"] = header.context
    try:
        response = kms.decrypt(**request)
    except ParamValidationError:
        raise EnvelopeTamperedError("The header's key ARN or encrypted data key is empty: the header was "
                                    "altered. Restore the file from a good copy.") from None
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "?")
        if code == "InvalidCiphertextException":
            raise EnvelopeTamperedError(
                "KMS refused the encrypted data key (InvalidCiphertextException): the data key or the "
                "encryption context stored in the header was altered. Restore the file from a good copy.") from None
        raise EnvelopeKeyError(
            f"KMS would not decrypt the data key ({code}). The file says it was encrypted under "
            f"{header.key_arn}. If that is not the key you expect, do not trust this file; if it is, "
            "check that you may call kms:Decrypt on it and that it is enabled.") from err
    plaintext = response.pop("Plaintext")
    if len(plaintext) != DATA_KEY_BYTES:
        raise EnvelopeKeyError(f"KMS returned a {len(plaintext)}-byte data key; this format uses "
                               f"{DATA_KEY_BYTES}-byte AES-256 keys. The header was altered.")
    return AESGCM(plaintext)


def _cut_short(where: str) -> EnvelopeTruncatedError:
    return EnvelopeTruncatedError(f"The file ends {where}: it was cut short (or a length field was altered). "
                                  "Restore the complete file; no plaintext was kept.")


@contextlib.contextmanager
def _atomic_output(dst: PathLike) -> Iterator[IO[bytes]]:
    """Output that appears at `dst` only when complete: an unnamed file linked into place
    where the platform allows, else a named temporary file renamed over `dst`."""
    target = Path(dst)
    fd = _unnamed_file(target.parent) if UNNAMED_TEMP_FILES else None
    if fd is None:
        with _named_temp_output(target) as writer:
            yield writer
        return
    with os.fdopen(fd, "w+b") as writer:    # on any error the unnamed file simply vanishes
        yield writer
        writer.flush()
        if not _link_into_place(writer.fileno(), target):
            # No way to name it here (an unusual /proc, say): copy the finished output.
            writer.seek(0)
            with _named_temp_output(target) as copy:
                shutil.copyfileobj(writer, copy)


def _unnamed_file(folder: Path) -> int | None:
    """An O_TMPFILE file in `folder` (mode 0600), or None where the file system lacks them."""
    try:
        return os.open(folder, os.O_TMPFILE | os.O_RDWR, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise


def _link_into_place(fd: int, target: Path) -> bool:
    """Give the unnamed file its name: link it to `target` if that name is free, else to a
    temporary name that then replaces `target` in one rename. False if it cannot be linked."""
    if _link(fd, target):
        return True
    if not _link_failed_because_it_exists(target):
        return False
    while True:
        temp = target.parent / f".{target.name}.{secrets.token_hex(4)}.partial"
        if _link(fd, temp):
            break
        if not temp.exists():
            return False
    try:
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return True


def _link_failed_because_it_exists(target: Path) -> bool:
    return target.exists() or target.is_symlink()


def _link(fd: int, path: Path) -> bool:
    """linkat() an open unnamed file to `path`: through /proc/self/fd (any user), else with
    AT_EMPTY_PATH (Linux 6.10+ for the file's opener, or CAP_DAC_READ_SEARCH). open(2), O_TMPFILE."""
    try:
        os.link(f"/proc/self/fd/{fd}", path, follow_symlinks=True)
        return True
    except FileExistsError:
        return False
    except OSError:
        pass
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        at_fdcwd, at_empty_path = -100, 0x1000
        return libc.linkat(fd, b"", at_fdcwd, os.fsencode(path), at_empty_path) == 0
    except (OSError, AttributeError):
        return False


@contextlib.contextmanager
def _named_temp_output(target: Path) -> Iterator[IO[bytes]]:
    """A temp file beside `target`, renamed over it on success, deleted on failure."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as writer:
            yield writer
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
