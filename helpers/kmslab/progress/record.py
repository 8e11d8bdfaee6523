"""Recording: a lab check's outcome, and a lesson run to its last cell.

Recording never gets in the way of a lesson: if the file cannot be written, the learner is told
once, and the check still answers.
"""
from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import PurePath
from typing import Any, Callable

from . import store

#: A check's status (kmslab.teach.checks) as the progress file says it.
_STATUS = {"ok": store.RIGHT, "wrong": store.WRONG, "todo": store.NOT_DONE}
_LAB_MODULE = re.compile(r"\blab_checks\.lab(\d\d)_")
_warned = False


def lab_of(module: str) -> str | None:
    """"04" for kmslab.teach.lab_checks.lab04_rotation; None for a check outside the labs."""
    match = _LAB_MODULE.search(module)
    return match.group(1) if match else None


def recorded(check: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a lab check (kmslab.teach.checks.check) so that each answer it gives is recorded."""
    lab = lab_of(check.__module__)
    if lab is None:
        return check

    @functools.wraps(check)
    def run(*args: Any, **kwargs: Any) -> Any:
        feedback = check(*args, **kwargs)
        if not _run_from_a_lesson():
            record_check(lab, check.task, _STATUS.get(feedback.status, store.NOT_DONE))
        return feedback

    return run


def record_check(lab: str, task: str, status: str) -> None:
    stamp = store.now()

    def change(data: dict[str, Any]) -> None:
        entry = data["checks"].setdefault(f"{lab}/{task}", {"lab": lab, "task": task, "runs": 0, "wrong": 0})
        entry.update(status=status, time=stamp, runs=entry.get("runs", 0) + 1)
        if status == store.WRONG:
            entry["wrong"] = entry.get("wrong", 0) + 1
        if status == store.RIGHT:
            entry.setdefault("first_right", stamp)

    _safely(change)


def lesson_done(lesson: str) -> None:
    """Record that lesson `lesson` ("00" to "11") ran to its last cell; the last cell calls this."""
    lesson = str(lesson).zfill(2)
    stamp = store.now()

    def change(data: dict[str, Any]) -> None:
        data["lessons"].setdefault(lesson, {"first": stamp})["last"] = stamp

    _safely(change)
    print(f"Lesson {lesson} is recorded as done. `python -m kmslab progress` shows what is left.")


def _run_from_a_lesson() -> bool:
    """A check a lesson shows as an example (lesson 00 runs one) is not the learner's lab work.
    JupyterLab tells the kernel which notebook started it (JPY_SESSION_NAME)."""
    session = os.environ.get("JPY_SESSION_NAME")
    if not session:
        return False
    path = PurePath(session)
    return path.suffix == ".ipynb" and path.parent.name == "notebooks"


def _safely(change: Callable[[dict[str, Any]], None]) -> None:
    global _warned
    try:
        notes = store.update(change)
    except Exception as error:  # a read-only home, a full disk: say so once, never fail the lesson
        notes = [] if _warned else [f"progress not saved ({type(error).__name__}: {error})"]
        _warned = True
    for note in notes:
        print(f"kmslab: {note}", file=sys.stderr)
