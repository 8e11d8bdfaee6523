"""DescribeKey/CreateKey metadata as AWS shows it, and a cheaper CreateKey.

moto's Key.to_dict is wrapped once; modules add their fields with
`@key_metadata.contributes` (fn(key, metadata_dict)).

- Each key lists the algorithms of its key usage only: EncryptionAlgorithms (ENCRYPT_DECRYPT),
  SigningAlgorithms (SIGN_VERIFY), MacAlgorithms (HMAC keys, sources: hmac-keys) or
  KeyAgreementAlgorithms (KEY_AGREEMENT). moto lists RSA encryption algorithms and an empty
  signing list on HMAC keys, and both lists on KEY_AGREEMENT keys.
- MultiRegion is always there (false for single-Region keys).
- Symmetric encryption keys of origin AWS_KMS or EXTERNAL show CurrentKeyMaterialId once they
  have material, and not while a replica is still Creating.
  All three follow the KeyMetadata reference and its examples:
  https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html
  https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html#API_DescribeKey_Examples
- A multi-Region key's MultiRegionKeyType is its own (moto shares one dict
  between a primary and its replicas, sources: multi-region-keys).

Speed: moto builds an RSA-2048 private key for every key, symmetric and HMAC
included (~41 ms each, moto-gaps §4). Those keys never use it, so it is built
only if something reads it.
"""
from __future__ import annotations

import copy
import threading
from typing import Any, Callable

from . import dispatch, symmetric

_contributors: list[Callable[[Any, dict], None]] = []


def contributes(fn: Callable[[Any, dict], None]) -> Callable[[Any, dict], None]:
    if fn not in _contributors:
        _contributors.append(fn)
    return fn


def metadata(key: Any, original: Callable[[Any], dict]) -> dict:
    result = original(key)
    meta = result["KeyMetadata"]
    usage = meta["KeyUsage"] = key.key_usage or "ENCRYPT_DECRYPT"
    meta["MultiRegion"] = bool(key.multi_region)
    if usage != "ENCRYPT_DECRYPT":
        meta.pop("EncryptionAlgorithms", None)
    if usage != "SIGN_VERIFY":
        meta.pop("SigningAlgorithms", None)
    if usage == "GENERATE_VERIFY_MAC":
        meta["MacAlgorithms"] = [f"HMAC_SHA_{key.key_spec[5:]}"]
    elif usage == "KEY_AGREEMENT":
        meta["KeyAgreementAlgorithms"] = ["ECDH"]
    if (key.key_spec == "SYMMETRIC_DEFAULT" and key.origin in ("AWS_KMS", "EXTERNAL")
            and key.key_state != "Creating"):
        current = symmetric.current_material(key)
        if current is not None:
            meta["CurrentKeyMaterialId"] = current.id
    if key.multi_region:
        config = copy.deepcopy(key.multi_region_configuration)
        primary = config["PrimaryKey"]["Arn"]
        config["MultiRegionKeyType"] = "PRIMARY" if key.arn == primary else "REPLICA"
        meta["MultiRegionConfiguration"] = config
    for fn in _contributors:
        fn(key, meta)
    for name in [k for k, v in meta.items() if v is None]:
        del meta[name]
    return result


@dispatch.operation("DescribeKey")
def describe_key(call: dispatch.KmsCall) -> dict:
    """The key the RESOLVE stage found. moto's own DescribeKey applies a crude policy check of
    its own (any Deny of kms:DescribeKey on "*" refuses every caller, whoever it names);
    authorization belongs to the AUTHORIZE stage alone."""
    return call.notes["key"].to_dict()


class LazyPrivateKey:
    """Stands in for moto's private key on keys that never use one."""

    def __init__(self, key_spec: str, build: Callable[[str], Any]):
        self._spec, self._build, self._real, self._lock = key_spec, build, None, threading.Lock()

    def _get(self) -> Any:
        if self._real is None:
            with self._lock:
                if self._real is None:
                    self._real = self._build(self._spec)
        return self._real

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._get(), name)


def install() -> None:
    import moto.kms.models as models

    if getattr(models.Key, "_kmslab_metadata", False):
        return
    original_to_dict = models.Key.to_dict
    models.Key.to_dict = lambda self: metadata(self, original_to_dict)
    build = models.generate_private_key

    def generate_private_key(key_spec: str):
        if key_spec in (None, "", "SYMMETRIC_DEFAULT") or str(key_spec).startswith("HMAC_"):
            return LazyPrivateKey(key_spec, build)
        return build(key_spec)

    models.generate_private_key = generate_private_key
    models.Key._kmslab_metadata = True


install()
