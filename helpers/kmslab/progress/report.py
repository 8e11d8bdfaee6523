"""Progress as tables: one learner's own, and a class's (read from learners' home folders on a hub)."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from . import store
from .course import Course

#: Where a learner's progress file is under their home on a Linux hub (jupyter_data_dir()).
IN_HOME = Path(".local/share/jupyter/kmslab") / store.FILE_NAME
NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class Learner:
    """One learner's progress, or the reason it could not be read (`problem`)."""

    name: str
    path: Path
    data: dict[str, Any] | None = None
    problem: str | None = None

    def status(self, lab: str, task: str) -> str:
        entry = (self.data or {}).get("checks", {}).get(f"{lab}/{task}")
        return entry["status"] if entry else NOT_CHECKED

    def wrong_answers(self, lab: str, task: str) -> int:
        entry = (self.data or {}).get("checks", {}).get(f"{lab}/{task}") or {}
        return int(entry.get("wrong", 0))


def read_learner(path: Path, name: str) -> Learner:
    try:
        return Learner(name, path, data=store.read(path))
    except store.ProgressFileError as error:
        return Learner(name, path, problem=error.problem + (f": {error.detail}" if error.detail else ""))


def find_learners(places: Iterable[Path]) -> list[Learner]:
    """Learners under each place: a progress file, one learner's home, or a folder of homes."""
    found = []
    for place in map(Path, places):
        try:
            if place.is_file() or place.name == store.FILE_NAME:
                found.append(read_learner(place, _name_from_file(place)))
            elif (place / IN_HOME).exists():
                found.append(read_learner(place / IN_HOME, _learner_name(place)))
            elif place.is_dir():
                homes = sorted(p for p in place.iterdir() if p.is_dir() and not p.name.startswith("."))
                found += [read_learner(home / IN_HOME, _learner_name(home)) for home in homes]
            else:
                found.append(Learner(_learner_name(place), place, problem="missing: no such folder"))
        except OSError as error:  # a home the instructor may not read (run as root on a hub)
            found.append(Learner(_learner_name(place), place, problem=f"unreadable: {error.strerror}"))
    return sorted(found, key=lambda learner: learner.name)


def _learner_name(home: Path) -> str:
    # The Littlest JupyterHub names a learner's system user (and home) jupyter-<name>.
    return home.name.removeprefix("jupyter-")


def _name_from_file(path: Path) -> str:
    parts = path.resolve().parts
    if ".local" in parts:
        return _learner_name(Path(*parts[:parts.index(".local")]))
    return path.parent.name


def learner_table(learner: Learner, course: Course) -> str:
    """The table a learner sees: lessons run to the end, then each lab's tasks."""
    if learner.problem:
        return f"{learner.name}: progress file {learner.problem} ({learner.path})"
    data = learner.data or store.empty()
    lessons = data["lessons"]
    lines = [f"Lessons run to the end: {sum(p.number in lessons for p in course.lessons)} of {len(course.lessons)}"]
    for part in course.lessons:
        done = lessons.get(part.number)
        lines.append(f"  {'done' if done else '-':<4}  {part.number}  {part.title}"
                     + (f"  ({_local(done['last'])})" if done else ""))
    upcoming = [part for part in course.lessons if part.number not in lessons]
    if upcoming:
        lines.append(f"  Next: lesson {upcoming[0].number} · {upcoming[0].title}")
    right = sum(learner.status(lab, task) == store.RIGHT for lab, task in course.tasks)
    lines.append(f"Lab tasks right: {right} of {len(course.tasks)}")
    titles = {p.number: p.title for p in course.labs}
    for number in dict.fromkeys(lab for lab, _ in course.tasks):
        lines.append(f"  Lab {number} · {titles.get(number, '')}".rstrip(" ·"))
        for lab, task in course.tasks:
            if lab == number:
                lines.append("    " + _task_line(learner, lab, task))
    known = {f"{lab}/{task}" for lab, task in course.tasks}
    others = [entry for key, entry in sorted(data["checks"].items()) if key not in known]
    if others:
        lines.append("  Checks no longer in the course")
        lines += [f"    {e['status']:<11}  lab {e.get('lab', '?')} · {e['task']}" for e in others]
    return "\n".join(lines)


def _task_line(learner: Learner, lab: str, task: str) -> str:
    status = learner.status(lab, task)
    line = f"{status:<11}  {task}"
    if status != NOT_CHECKED:
        entry = learner.data["checks"][f"{lab}/{task}"]
        wrong = entry.get("wrong", 0)
        runs = entry.get("runs", 1)
        line += f"  ({_local(entry['time'])}; {runs} run{'s' * (runs != 1)}" + (f", {wrong} wrong)" if wrong else ")")
    return line


def class_report(learners: list[Learner], course: Course) -> str:
    """Files that could not be read, each task across the class, then each learner's table."""
    readable = [learner for learner in learners if not learner.problem]
    lines = [f"Class: {len(readable)} learners with progress, {len(learners) - len(readable)} without"]
    lines += [f"  {learner.name}: progress file {learner.problem} ({learner.path})"
              for learner in learners if learner.problem]
    width = max((len(task) for _, task in course.tasks), default=10) + 9
    columns = (*store.STATUSES, NOT_CHECKED)
    lines += ["", f"{'Each task across the class':<{width + 2}}" + "".join(f"{c:>{len(c) + 3}}" for c in columns)]
    for lab, task in course.tasks:
        counts = [sum(learner.status(lab, task) == status for learner in readable) for status in columns]
        lines.append(f"  {f'lab {lab} · {task}':<{width}}" + "".join(f"{n:>{len(c) + 3}}" for n, c in zip(counts, columns)))
    for learner in readable:
        lines += ["", f"== {learner.name} ==", learner_table(learner, course)]
    return "\n".join(lines)


def _local(stamp: str) -> str:
    """A recorded UTC time in the reader's local time, to the minute."""
    try:
        moment = _dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    except (TypeError, ValueError):
        return str(stamp)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
