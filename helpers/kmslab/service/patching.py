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
