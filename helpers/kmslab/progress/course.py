"""What there is to do: the lessons (notebooks/), the labs (labs/) and each lab's checked tasks.

Tasks come from the checks themselves (kmslab.teach.lab_checks.labNN_*), in the order they are
written, so a new check appears in every table without being listed anywhere else.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

from ..notebooks import ROOT
from .record import lab_of


@dataclass(frozen=True)
class Part:
    """A lesson or a lab: its number ("04") and its title."""

    number: str
    title: str


@dataclass(frozen=True)
class Course:
    lessons: tuple[Part, ...]
    labs: tuple[Part, ...]
    tasks: tuple[tuple[str, str], ...]  # (lab number, task), in lab order


def load(root: Path = ROOT) -> Course:
    return Course(lessons=_parts(root / "notebooks"), labs=_parts(root / "labs"), tasks=lab_tasks())


def lab_tasks() -> tuple[tuple[str, str], ...]:
    from ..teach import lab_checks

    found = []
    for info in sorted(pkgutil.iter_modules(lab_checks.__path__), key=lambda m: m.name):
        lab = lab_of(f"lab_checks.{info.name}")
        if lab is None:
            continue
        module = importlib.import_module(f"{lab_checks.__name__}.{info.name}")
        checks = [f for f in vars(module).values()
                  if callable(f) and hasattr(f, "task") and getattr(f, "__module__", None) == module.__name__]
        checks.sort(key=lambda f: _first_line(f))
        found += [(lab, f.task) for f in checks]
    return tuple(found)


def _first_line(fn) -> int:
    while hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    return fn.__code__.co_firstlineno


def _parts(folder: Path) -> tuple[Part, ...]:
    """Numbered notebooks in `folder`, titled by their first heading ("# 03 · Symmetric keys")."""
    parts = []
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        number = path.name[:2]
        title = path.stem[3:].replace("_", " ")
        try:
            first = json.loads(path.read_text(encoding="utf-8"))["cells"][0]
            heading = "".join(first["source"]).splitlines()[0]
            title = re.sub(r"^#+\s*(Lab\s+)?\d\d\s*·\s*", "", heading).strip() or title
        except (OSError, ValueError, KeyError, IndexError):
            pass
        parts.append(Part(number, title))
    return tuple(parts)
