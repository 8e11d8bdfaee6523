"""DescribeKey/CreateKey metadata as AWS shows it, and a cheaper CreateKey.

moto's Key.to_dict is wrapped once; modules add their fields with
`@key_metadata.contributes` (fn(key, metadata_dict)).

- HMAC keys list MacAlgorithms, not RSA EncryptionAlgorithms (sources: hmac-keys).
- Symmetric keys show CurrentKeyMaterialId (botocore KMS model, KeyMetadata).
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

from . import symmetric

_contributors: list[Callable[[Any, dict], None]] = []


def contributes(fn: Callable[[Any, dict], None]) -> Callable[[Any, dict], None]:
    if fn not in _contributors:
        _contributors.append(fn)
    return fn


def metadata(key: Any, original: Callable[[Any], dict]) -> dict:
    result = original(key)
    meta = result["KeyMetadata"]
    meta["KeyUsage"] = key.key_usage or "ENCRYPT_DECRYPT"
    if key.key_spec.startswith("HMAC_"):
        meta.pop("EncryptionAlgorithms", None)
        meta["MacAlgorithms"] = [f"HMAC_SHA_{key.key_spec[5:]}"]
    if key.key_spec == "SYMMETRIC_DEFAULT":
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
