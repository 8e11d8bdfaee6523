"""The bytes of the kmslab envelope file format (version 1), and its errors.

The format is this package's own, for teaching. It is NOT the AWS Encryption SDK
message format and neither KMS nor the SDK can read it (sources: decrypt-key-and-algorithm).

All integers are big-endian.

    header
      magic        8 bytes   b"KMSLABEV"
      version      1 byte    1
      frame size   4 bytes   plaintext bytes per full frame
      key ARN      2-byte length + UTF-8   the KMS key that encrypted the data key
      data key     2-byte length + bytes   the encrypted data key (KMS CiphertextBlob)
      context      2-byte count + pairs of (2-byte length + UTF-8), sorted by key
      header tag   16 bytes  AES-GCM tag of nothing, AAD = all header fields above, nonce = counter 0
    frames, numbered 1, 2, 3, ...
      kind         1 byte    0 = more frames follow, 1 = final frame
      length       4 bytes   plaintext bytes in this frame (= frame size unless final)
      ciphertext   length bytes, then a 16-byte GCM tag
      nonce = 4 zero bytes + the 8-byte frame number;  AAD = header fields + frame number + kind + length

Why each piece is there:
- every frame's AAD holds the whole header, so a frame cannot be moved to another file
  or read under another key, context or frame size;
- the frame number is in the nonce and the AAD, so frames cannot be reordered or dropped;
- the final-frame marker is authenticated, so cutting the file at a frame boundary is detected;
- a fresh data key per file plus counter nonces means a (key, nonce) pair is never reused.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

MAGIC = b"KMSLABEV"
VERSION = 1
TAG_SIZE = 16
NONCE_PREFIX = b"\x00" * 4
DATA_KEY_BYTES = 32                    # AES-256 (GenerateDataKey KeySpec=AES_256)
DEFAULT_FRAME_SIZE = 256 * 1024
MAX_FRAME_SIZE = 16 * 1024 * 1024      # bounds the memory a reader needs per frame
MORE, FINAL = 0, 1
FRAME_PREFIX = struct.Struct(">BI")    # kind, length
MAX_FIELD = 0xFFFF


class EnvelopeError(Exception):
    """Base class: the envelope could not be written or read. The message says what to do."""


class EnvelopeFormatError(EnvelopeError):
    """The input is not a kmslab envelope file of a version this code reads."""


class EnvelopeTruncatedError(EnvelopeError):
    """The input ends early: part of the file is missing."""


class EnvelopeTamperedError(EnvelopeError):
    """Authentication failed: some bytes of the file were changed."""


class EnvelopeContextError(EnvelopeError):
    """The encryption context passed to decrypt differs from the one the file was written with."""


class EnvelopeKeyError(EnvelopeError):
    """KMS would not decrypt the data key: wrong key, no permission, or a key that cannot be used."""


class EnvelopeKeyRequiredError(EnvelopeKeyError):
    """Decrypting without naming the expected KMS key (strict mode), which would trust the file."""


@dataclass(frozen=True)
class Header:
    frame_size: int
    key_arn: str
    encrypted_data_key: bytes = field(repr=False)
    context: dict[str, str] = field(default_factory=dict)
    version: int = VERSION

    def to_bytes(self) -> bytes:
        """The authenticated header fields (everything but the header tag)."""
        parts = [MAGIC, struct.pack(">BI", self.version, self.frame_size),
                 _field(self.key_arn.encode("utf-8"), "key ARN"),
                 _field(self.encrypted_data_key, "encrypted data key"),
                 struct.pack(">H", len(self.context))]
        for name, value in sorted(self.context.items()):
            parts += [_field(name.encode("utf-8"), "context key"), _field(value.encode("utf-8"), "context value")]
        return b"".join(parts)


def frame_nonce(number: int) -> bytes:
    return NONCE_PREFIX + number.to_bytes(8, "big")


def frame_aad(header_bytes: bytes, number: int, kind: int, length: int) -> bytes:
    return header_bytes + number.to_bytes(8, "big") + FRAME_PREFIX.pack(kind, length)


def read_exact(reader, size: int) -> bytes:
    """Up to `size` bytes; fewer only at the end of the input (streams may return short reads)."""
    data = reader.read(size)
    if data is None:
        data = b""
    if len(data) == size or not data:
        return data
    chunks = [data]
    got = len(data)
    while got < size:
        more = reader.read(size - got)
        if not more:
            break
        chunks.append(more)
        got += len(more)
    return b"".join(chunks)


def read_header(reader) -> tuple[Header, bytes, bytes]:
    """Parse a header: (Header, its authenticated bytes, header tag). Raises EnvelopeError subclasses."""
    raw = bytearray()

    def take(size: int, what: str) -> bytes:
        data = read_exact(reader, size)
        if len(data) < size:
            if not raw and not data:
                raise EnvelopeFormatError("The input is empty, so it is not a kmslab envelope file. "
                                          "Check that you passed the encrypted file.")
            raise EnvelopeTruncatedError(f"The file ends inside its header ({what}): it was cut short. "
                                         "Restore the complete file from where it was stored.")
        raw.extend(data)
        return data

    magic = take(len(MAGIC), "magic")
    if magic != MAGIC:
        raise EnvelopeFormatError("This is not a kmslab envelope file (its first 8 bytes are not "
                                  f"{MAGIC!r}). Check that you passed the encrypted file, not the plaintext.")
    version, frame_size = struct.unpack(">BI", take(5, "version and frame size"))
    if version != VERSION:
        raise EnvelopeFormatError(f"Envelope format version {version} is not supported (this code reads "
                                  f"version {VERSION}). The file was altered or written by other software.")
    if not 1 <= frame_size <= MAX_FRAME_SIZE:
        raise EnvelopeFormatError(f"The header's frame size {frame_size} is outside 1..{MAX_FRAME_SIZE}: "
                                  "the header was altered. Restore the file from a good copy.")

    def take_field(what: str) -> bytes:
        (size,) = struct.unpack(">H", take(2, what))
        return take(size, what)

    try:
        key_arn = take_field("key ARN").decode("utf-8")
        encrypted_data_key = take_field("encrypted data key")
        (pairs,) = struct.unpack(">H", take(2, "encryption context"))
        context = {}
        for _ in range(pairs):
            name = take_field("encryption context").decode("utf-8")
            context[name] = take_field("encryption context").decode("utf-8")
    except UnicodeDecodeError:
        raise EnvelopeFormatError("The header holds text that is not UTF-8: the header was altered. "
                                  "Restore the file from a good copy.") from None
    header_bytes = bytes(raw)
    tag = take(TAG_SIZE, "header tag")
    header = Header(frame_size, key_arn, encrypted_data_key, context, version)
    if header.to_bytes() != header_bytes:   # e.g. a context not in canonical order
        raise EnvelopeFormatError("The header is not in canonical form: it was altered or written by "
                                  "other software. Restore the file from a good copy.")
    return header, header_bytes, tag


def _field(data: bytes, what: str) -> bytes:
    if len(data) > MAX_FIELD:
        raise EnvelopeError(f"The {what} is {len(data)} bytes; the format allows at most {MAX_FIELD}.")
    return struct.pack(">H", len(data)) + data
