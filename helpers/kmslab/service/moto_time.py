"""Make moto read the sandbox clock (kmslab.clock) instead of the wall clock."""
from __future__ import annotations

import sys

from .. import clock

_installed = False


def _utcnow():
    return clock.current().now()


def install() -> None:
    """Point every loaded moto module's `utcnow` at the sandbox clock.

    moto modules do `from moto.core.utils import utcnow`, so each module holds
    its own reference; the services the suite uses are imported first so that
    they are all rebound. `unix_time()` reads `moto.core.utils.utcnow`.
    """
    global _installed
    import moto.core.utils as core_utils

    original = getattr(core_utils, "_kmslab_original_utcnow", core_utils.utcnow)
    core_utils._kmslab_original_utcnow = original
    for name in list(sys.modules):
        module = sys.modules.get(name)
        if name.startswith("moto") and module is not None and getattr(module, "utcnow", None) is original:
            module.utcnow = _utcnow
    _installed = True
