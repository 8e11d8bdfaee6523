"""The one clock the sandbox reads.

moto's backends are process-global, so the clock is too. Dates that a lesson
prints (CreationDate, DeletionDate, NextRotationDate) come from here, and so
does the time that quotas and retries run on.

- frozen: now() never moves unless advanced (reproducible notebook outputs);
- running: wall time plus an offset that advance() grows (simulations).
"""
from __future__ import annotations

import datetime as _dt
import threading
import time as _time

UTC = _dt.timezone.utc

#: The instant every frozen sandbox starts at, so dates in lessons repeat.
DEFAULT_START = _dt.datetime(2026, 6, 1, 12, 0, 0)


class Clock:
    """A clock that can be frozen, advanced and read as naive UTC."""

    def __init__(self, start: _dt.datetime | None = None, frozen: bool = True):
        self._lock = threading.Lock()
        self._frozen = frozen
        self._at = _naive(start) if start is not None else DEFAULT_START
        self._offset = 0.0

    @property
    def frozen(self) -> bool:
        return self._frozen

    def now(self) -> _dt.datetime:
        """The current time as a naive UTC datetime (what moto stores)."""
        with self._lock:
            if self._frozen:
                return self._at
            return _dt.datetime.fromtimestamp(_time.time() + self._offset, UTC).replace(tzinfo=None)

    def time(self) -> float:
        """The current time in seconds since the epoch."""
        return self.now().replace(tzinfo=UTC).timestamp()

    def advance(self, seconds: float | _dt.timedelta) -> None:
        """Move time forward without waiting."""
        if isinstance(seconds, _dt.timedelta):
            seconds = seconds.total_seconds()
        if seconds < 0:
            raise ValueError(f"a clock only moves forward; got {seconds} s")
        with self._lock:
            if self._frozen:
                self._at += _dt.timedelta(seconds=seconds)
            else:
                self._offset += seconds

    # A clock is also a sleep function: sleeping on a frozen clock advances it.
    def sleep(self, seconds: float) -> None:
        if self._frozen:
            self.advance(max(0.0, seconds))
        else:
            _time.sleep(max(0.0, seconds))

    def freeze(self, at: _dt.datetime | None = None) -> None:
        at = _naive(at) if at is not None else self.now()
        with self._lock:
            self._frozen, self._at, self._offset = True, at, 0.0

    def run(self) -> None:
        """Let the clock follow wall time again, from where it stands."""
        at = self.now()
        with self._lock:
            self._frozen = False
            self._offset = at.replace(tzinfo=UTC).timestamp() - _time.time()

    def __repr__(self) -> str:
        state = "frozen" if self._frozen else "running"
        return f"Clock({state}, now={self.now().isoformat()}Z)"


def _naive(value: _dt.datetime) -> _dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


_current = Clock(frozen=False)


def current() -> Clock:
    """The clock moto and the sandbox read now."""
    return _current


def use(clock: Clock) -> Clock:
    """Make `clock` the one moto and the sandbox read; returns the old one."""
    global _current
    old, _current = _current, clock
    return old
