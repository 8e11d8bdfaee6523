"""Checks that teach: the core every lab check is built on.

A check inspects what the learner built in the sandbox (keys, policies,
ciphertexts, files), never the text of their code, and answers one of:

- ok:    a short confirmation;
- wrong: which part is wrong, and a hint toward the lesson section to reread;
- todo:  "not done yet", while the learner's variable is still `...`.

Each line starts with its mark in words, [ok], [wrong] or [todo]: not emoji, which a
browser without an emoji font (stock Debian Chromium) shows as empty boxes.

A check never shows a traceback: anything unexpected becomes a "wrong" answer
that names the part being checked.

    @check("Task 1: a symmetric key")
    def check_key(kms, key_id):
        require(key_id, "key_id")
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        expect(meta["KeySpec"] == "SYMMETRIC_DEFAULT", "key spec",
               f"the key is {meta['KeySpec']}", hint="lesson 03, 'Encrypt, Decrypt and ReEncrypt'")
        return "a symmetric encryption key"
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

OK, WRONG, TODO = "ok", "wrong", "todo"
#: The mark that starts each answer: words that carry the meaning on their own (quiz feedback uses them too).
MARKS = {OK: "[ok]", WRONG: "[wrong]", TODO: "[todo]"}


@dataclass(frozen=True)
class Feedback:
    """What a check says. Tests read the fields; a notebook shows `text`."""

    task: str
    status: str
    message: str
    part: str | None = None
    hint: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def text(self) -> str:
        if self.status == OK:
            return f"{MARKS[OK]} {self.task}: {self.message}"
        if self.status == TODO:
            return f"{MARKS[TODO]} {self.task}: not done yet ({self.message})"
        line = f"{MARKS[WRONG]} {self.task}: {self.part}: {self.message}"
        return line + (f"\n   Hint: {self.hint}" if self.hint else "")

    def _ipython_display_(self) -> None:  # shown as plain text, no Out[] prompt
        print(self.text)

    def __str__(self) -> str:
        return self.text


class NotDone(Exception):
    """The learner has not filled in this part yet."""


class Wrong(Exception):
    """One part of the answer is wrong."""

    def __init__(self, part: str, message: str, hint: str | None = None):
        super().__init__(f"{part}: {message}")
        self.part, self.message, self.hint = part, message, hint


def is_unfinished(value: Any) -> bool:
    return value is ... or value is None


def require(value: Any, name: str) -> Any:
    """Stop with "not done yet" while `value` is still the TODO placeholder."""
    if is_unfinished(value):
        raise NotDone(f"set {name}")
    return value


def expect(condition: Any, part: str, message: str, hint: str | None = None) -> None:
    """Stop with a "wrong" answer naming `part` unless `condition` holds."""
    if not condition:
        raise Wrong(part, message, hint)


def check(task: str, hint: str | None = None) -> Callable[[Callable[..., str]], Callable[..., Feedback]]:
    """Turn a function that raises NotDone/Wrong or returns a confirmation into a check."""

    def wrap(fn: Callable[..., str]) -> Callable[..., Feedback]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Feedback:
            if any(is_unfinished(a) for a in args) and not getattr(fn, "accepts_unfinished", False):
                missing = [n for n, a in zip(fn.__code__.co_varnames, args) if is_unfinished(a)]
                return Feedback(task, TODO, "set " + ", ".join(missing) if missing else "fill in the TODO")
            try:
                confirmation = fn(*args, **kwargs)
            except NotDone as exc:
                return Feedback(task, TODO, str(exc))
            except Wrong as exc:
                return Feedback(task, WRONG, exc.message, part=exc.part, hint=exc.hint or hint)
            except Exception as exc:  # the learner's objects can fail in any way; say which part
                return Feedback(task, WRONG, _describe(exc), part="your answer", hint=hint)
            return Feedback(task, OK, confirmation or "correct")

        run.task = task  # type: ignore[attr-defined]
        return run

    return wrap


def _describe(exc: Exception) -> str:
    """One line for an unexpected error: an AWS error code and message, or the exception."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"AWS said {err.get('Code')}: {err.get('Message')}"
    return f"{type(exc).__name__}: {exc}"
