"""State the sandbox keeps beside moto's, wiped whenever moto resets."""
from __future__ import annotations

from typing import Callable

_hooks: list[Callable[[], None]] = []
_installed = False


def on_reset(fn: Callable[[], None]) -> Callable[[], None]:
    """Register `fn` to run whenever moto resets its backends."""
    if fn not in _hooks:
        _hooks.append(fn)
    return fn


def run() -> None:
    for fn in list(_hooks):
        fn()


def install() -> None:
    """Run the hooks after moto's BackendDict.reset (mock_aws start, /moto-api/reset)."""
    global _installed
    if _installed:
        return
    from moto.core.base_backend import BackendDict

    original = BackendDict.reset.__func__

    @classmethod
    def reset(cls) -> None:
        original(cls)
        run()

    BackendDict.reset = reset
    _installed = True
