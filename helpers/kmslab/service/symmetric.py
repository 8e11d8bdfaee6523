"""Symmetric encryption with real key material versions (AES-256-GCM).

API for other modules (S3, SSM, data key pairs ...):
  seal(key, plaintext, context=None) -> bytes
      Encrypt under the key's current material. `key` is a moto Key.
  peek(blob) -> BlobHeader | None
      Who made a ciphertext: (account_id, key_id, material_id), without decrypting.
  unseal(blob, context, key) -> (Material, bytes)
      Decrypt a blob made by `seal` with `key` (a moto Key holding the same materials).
  open_blob(blob, context, region, account_id=None) -> (key, plaintext)
      Find the key named in the blob (in `account_id` or the blob's account, in
      `region`) and decrypt. Raises KmsError as KMS would.
  materials(key) -> list[Material]; current_material(key) -> Material

None of these check key state or permissions: go through `dispatch.invoke` for that.

AWS: SYMMETRIC_DEFAULT is 256-bit AES-GCM, and the encryption context is
cryptographically bound as AAD (sources: symmetric-default, encryption-context). A key keeps all earlier
material after rotation and Decrypt picks the right one (sources: rotation-keeps-old-material); the
ciphertext names the key, so KeyId is optional on Decrypt (sources: decrypt-key-and-algorithm).

Blob layout (the sandbox's own; real KMS's format is not public):
  version(1) | account(12) | len(key id)(1) | key id | material id(32) | iv(12) | AES-GCM ciphertext+tag
Everything before the IV is authenticated too.
"""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import os
import struct
import threading
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import KmsError

VERSION = 1
MAX_PLAINTEXT = 4096  # sources: encrypt-plaintext-limits
_IV = 12
_lock = threading.RLock()


@dataclass
class Material:
    """One version of a key's material (sources: rotation-history, rotation-keeps-old-material)."""

    id: str  # KeyMaterialId: 64 hex characters
    secret: bytes = field(repr=False)
    created: _dt.datetime | None = None
    rotation_type: str | None = None  # None for the original material, else AUTOMATIC / ON_DEMAND
    rotation_date: _dt.datetime | None = None
    # imported material only (sources: imported-key-material)
    imported: bool = False
    description: str | None = None
    expiration_model: str | None = None
    valid_to: _dt.datetime | None = None


class BlobHeader(NamedTuple):
    account_id: str
    key_id: str
    material_id: str
    header_len: int


def material_id(key_id: str, index: int) -> str:
    """A stable id for a key's n-th material (deterministic, reveals nothing about it)."""
    return hashlib.sha256(f"kmslab-key-material|{key_id}|{index}".encode()).hexdigest()


def materials(key: Any) -> list[Material]:
    """The key's materials, oldest first; the last one is current.

    Kept on the moto Key so it resets with moto. Created lazily from moto's own
    key_material. Multi-Region replicas share this list with their primary.
    """
    found = getattr(key, "kmslab_materials", None)
    if found is not None:
        return found
    with _lock:
        found = getattr(key, "kmslab_materials", None)
        if found is None:
            found = []
            if getattr(key, "origin", "AWS_KMS") != "EXTERNAL":
                found.append(Material(material_id(key.id, 0), key.key_material))
            key.kmslab_materials = found
        return found


def current_material(key: Any) -> Material | None:
    found = materials(key)
    return found[-1] if found else None


def encode_context(context: dict[str, str] | None) -> bytes:
    """Canonical AAD for an encryption context: sorted, length-prefixed UTF-8.

    Length prefixes keep {'ab': 'c'} and {'a': 'bc'} apart (sources: encryption-context: an
    exact match is required; only the order of pairs may differ).
    """
    if not context:
        return b""
    out = [struct.pack(">H", len(context))]
    for name, value in sorted((str(k).encode(), str(v).encode()) for k, v in context.items()):
        out.append(struct.pack(">H", len(name)) + name + struct.pack(">H", len(value)) + value)
    return b"".join(out)


def _header(account_id: str, key_id: str, mat_id: str) -> bytes:
    kid = key_id.encode("ascii")
    return (bytes([VERSION]) + account_id.encode("ascii").rjust(12, b"0")[:12]
            + bytes([len(kid)]) + kid + bytes.fromhex(mat_id))


def peek(blob: bytes | None) -> BlobHeader | None:
    """Parse a blob's header; None if it is not a sandbox symmetric ciphertext."""
    if not blob or len(blob) < 1 + 12 + 1 + 32 + _IV + 16 or blob[0] != VERSION:
        return None
    try:
        account = blob[1:13].decode("ascii")
        n = blob[13]
        key_id = blob[14:14 + n].decode("ascii")
        mat = blob[14 + n:14 + n + 32].hex()
    except (UnicodeDecodeError, IndexError):
        return None
    end = 14 + n + 32
    if not account.isdigit() or len(blob) < end + _IV + 16:
        return None
    return BlobHeader(account, key_id, mat, end)


def seal(key: Any, plaintext: bytes, context: dict[str, str] | None = None,
         material: Material | None = None) -> bytes:
    """Encrypt `plaintext` under the key's current material."""
    material = material or current_material(key)
    if material is None:
        raise KmsError("KMSInvalidStateException", f"{key.arn} is pending import.")
    header = _header(key.account_id, key.id, material.id)
    iv = os.urandom(_IV)
    body = AESGCM(material.secret).encrypt(iv, plaintext, header + encode_context(context))
    return header + iv + body


def invalid_ciphertext() -> KmsError:
    # AWS sends InvalidCiphertextException without a message.
    return KmsError("InvalidCiphertextException", "")


def unseal(blob: bytes, context: dict[str, str] | None, key: Any) -> tuple[Material, bytes]:
    """Decrypt a blob made by `seal` under `key` (any material version)."""
    head = peek(blob)
    if head is None or head.key_id != key.id:
        raise invalid_ciphertext()
    material = next((m for m in materials(key) if m.id == head.material_id), None)
    if material is None:
        raise invalid_ciphertext()
    header = blob[:head.header_len]
    iv = blob[head.header_len:head.header_len + _IV]
    try:
        plaintext = AESGCM(material.secret).decrypt(
            iv, blob[head.header_len + _IV:], header + encode_context(context))
    except InvalidTag:
        raise invalid_ciphertext() from None
    return material, plaintext


def key_for_blob(head: BlobHeader, region: str, account_id: str | None = None) -> Any:
    """The moto Key a ciphertext names, in `region` (a multi-Region replica has the same id)."""
    from moto.kms.models import kms_backends

    account = account_id or head.account_id
    key = kms_backends[account][region].keys.get(head.key_id)
    if key is None:
        arn = f"arn:aws:kms:{region}:{account}:key/{head.key_id}"
        raise KmsError("NotFoundException", f"Key '{arn}' does not exist")
    return key


def open_blob(blob: bytes, context: dict[str, str] | None, region: str,
              account_id: str | None = None) -> tuple[Any, bytes]:
    """Find the key a blob names and decrypt it (no state or permission checks)."""
    head = peek(blob)
    if head is None:
        raise invalid_ciphertext()
    key = key_for_blob(head, region, account_id)
    return key, unseal(blob, context, key)[1]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
