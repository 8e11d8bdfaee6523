"""The one way the sandbox wraps a method of a moto class."""
from __future__ import annotations

import functools
from typing import Any, Callable


def wrap(cls: type, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Replace `cls.name` with `fn(self, original, *args, **kwargs)`.

        @wrap(S3Response, "put_object")
        def put_object(self, original, *args, **kwargs):
            ...                      # AWS behaviour moto lacks
            return original(self, *args, **kwargs)

    The moto method stays reachable as `cls.name._kmslab_original`.
    """
    original = getattr(cls, name)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return fn(self, original, *args, **kwargs)

        wrapper._kmslab_original = original  # type: ignore[attr-defined]
        setattr(cls, name, wrapper)
        return fn

    return decorate


def remember_caller(response_cls: type, name: str):
    """Record (account, Region, access key) of each request a moto response class handles.

    A backend method deep inside moto cannot see the request; a service that calls KMS
    on the caller's behalf reads the caller from the returned ContextVar instead.
    """
    import contextvars

    caller: contextvars.ContextVar = contextvars.ContextVar(name, default=None)

    @wrap(response_cls, "call_action")
    def call_action(self, original):  # type: ignore[no-untyped-def]
        try:
            access_key = self.get_access_key()
        except Exception:  # an unsigned request
            access_key = None
        token = caller.set((self.current_account, self.region, access_key))
        try:
            return original(self)
        finally:
            caller.reset(token)

    return caller
