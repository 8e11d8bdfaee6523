"""The progress file: where it lives, how it is read, and how it changes safely.

One small JSON file per learner, in their Jupyter data directory (or KMSLAB_PROGRESS_DIR):

    {"format": 1,
     "checks":  {"04/Task 1: ...": {"lab": "04", "task": "Task 1: ...", "status": "wrong",
                                    "time": "2025-05-01T10:32:05Z", "runs": 3, "wrong": 2}},
     "lessons": {"00": {"first": "2025-05-01T09:05:41Z", "last": "2025-05-01T09:05:41Z"}}}

Every change holds a lock file beside it (kernels of several notebooks may record at once), then
replaces the file in one step, so a reader sees the old file or the new one, never half of one.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterator

from ..notebooks import write_atomically

#: Tests and notebook runs point this at a folder of their own (tests/conftest.py).
DIR_VARIABLE = "KMSLAB_PROGRESS_DIR"
FILE_NAME = "progress.json"
FORMAT = 1
RIGHT, WRONG, NOT_DONE = "right", "wrong", "not done"
STATUSES = (RIGHT, WRONG, NOT_DONE)


class ProgressFileError(Exception):
    """A progress file that cannot be read; `problem` is missing, empty, unreadable or corrupt."""

    def __init__(self, path: Path, problem: str, detail: str = ""):
        super().__init__(f"{path}: {problem}" + (f" ({detail})" if detail else ""))
        self.path, self.problem, self.detail = path, problem, detail


def progress_file() -> Path:
    """This learner's progress file (it may not exist yet)."""
    folder = os.environ.get(DIR_VARIABLE)
    if folder:
        return Path(folder) / FILE_NAME
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "kmslab" / FILE_NAME


def empty() -> dict[str, Any]:
    return {"format": FORMAT, "checks": {}, "lessons": {}}


def now() -> str:
    """The wall-clock time in UTC (the sandbox's frozen clock is for AWS, not for the learner)."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read(path: Path) -> dict[str, Any]:
    """The progress in `path`; raises ProgressFileError naming what is wrong with the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProgressFileError(path, "missing") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProgressFileError(path, "unreadable", str(error)) from None
    if not text.strip():
        raise ProgressFileError(path, "empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProgressFileError(path, "corrupt", f"not JSON: {error}") from None
    problem = _shape_problem(data)
    if problem:
        raise ProgressFileError(path, "corrupt", problem)
    return data


def _shape_problem(data: Any) -> str | None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return f"not a kmslab progress file of format {FORMAT}"
    if not isinstance(data.get("checks"), dict) or not isinstance(data.get("lessons"), dict):
        return "no 'checks' and 'lessons' tables"
    for entry in data["checks"].values():
        if not isinstance(entry, dict) or entry.get("status") not in STATUSES or not entry.get("task"):
            return f"a check entry without a task or a known status: {entry!r:.80}"
    return None


def update(change: Callable[[dict[str, Any]], None], path: Path | None = None) -> list[str]:
    """Apply `change` to the progress under the lock and save it; returns notes for the learner.

    A file that cannot be read is kept beside the new one (progress.json.corrupt), never lost.
    """
    path = Path(path or progress_file())
    path.parent.mkdir(parents=True, exist_ok=True)
    notes = []
    with _locked(path):
        try:
            data = read(path)
        except ProgressFileError as error:
            data = empty()
            if error.problem not in ("missing", "empty"):
                kept = path.with_name(path.name + ".corrupt")
                os.replace(path, kept)
                notes.append(f"your progress file could not be read ({error.problem}); "
                             f"it is kept as {kept} and a new one started")
        change(data)
        write_atomically(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
    return notes


def remove(path: Path | None = None) -> dict[str, Any] | None:
    """Delete the progress file (under the lock); returns what it held, if it could be read."""
    path = Path(path or progress_file())
    if not path.parent.exists():
        return None
    with _locked(path):
        try:
            old = read(path)
        except ProgressFileError:
            old = None
        path.unlink(missing_ok=True)
    return old


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path`.lock, held by one process (or thread) at a time."""
    with open(path.with_name(path.name + ".lock"), "a+b") as handle:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # waits up to 10 s
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
