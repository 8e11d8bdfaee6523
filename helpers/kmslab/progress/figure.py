"""The class at a glance: learners (rows) by lab tasks (columns), one colour per answer.

A task many learners got wrong stands out as a column of the "wrong" colour; the number in a cell
is how many wrong answers that learner gave before (or since) their last check.
"""
from __future__ import annotations

from pathlib import Path

from . import store
from .course import Course
from .report import NOT_CHECKED, Learner

# Okabe-Ito colours, told apart with any colour vision; a word in the legend for each.
COLOURS = {store.RIGHT: "#009E73", store.WRONG: "#D55E00", store.NOT_DONE: "#F0E442",
           NOT_CHECKED: "#E8E8E8", "file missing or unreadable": "#FFFFFF"}


def class_grid(learners: list[Learner], course: Course, path: Path) -> Path:
    """Draw the grid and save it as a PNG at `path`."""
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure  # no pyplot: works without a display

    names = list(COLOURS)
    codes = [[names.index(names[-1] if learner.problem else learner.status(lab, task))
              for lab, task in course.tasks] for learner in learners]
    rows, cols = max(len(learners), 1), max(len(course.tasks), 1)
    fig = Figure(figsize=(2.5 + 0.45 * cols, 2.6 + 0.32 * rows), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(codes or [[names.index(NOT_CHECKED)]], cmap=ListedColormap(list(COLOURS.values())),
              vmin=0, vmax=len(names) - 1, aspect="auto")
    for r, learner in enumerate(learners):
        for c, (lab, task) in enumerate(course.tasks):
            wrong = learner.wrong_answers(lab, task)
            if wrong:
                ax.text(c, r, str(wrong), ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(course.tasks)),
                  [f"lab {lab} · {task.split(':')[0]}" for lab, task in course.tasks],
                  rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(learners)), [_row_label(learner, course) for learner in learners], fontsize=9)
    ax.set_xticks([c - 0.5 for c in range(1, cols)], minor=True)
    ax.set_yticks([r - 0.5 for r in range(1, rows)], minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    for c in range(1, len(course.tasks)):  # a darker line between labs
        if course.tasks[c][0] != course.tasks[c - 1][0]:
            ax.axvline(c - 0.5, color="#555555", linewidth=1.5)
    ax.set_title("Lab tasks by learner (numbers: wrong answers given)", fontsize=11)
    handles = [_patch(colour, name) for name, colour in COLOURS.items()]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=9, frameon=False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def _row_label(learner: Learner, course: Course) -> str:
    if learner.problem:
        return f"{learner.name} ({learner.problem.split(':')[0]} file)"
    done = sum(part.number in learner.data["lessons"] for part in course.lessons)
    return f"{learner.name} ({done}/{len(course.lessons)} lessons)"


def _patch(colour: str, label: str):
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, edgecolor="#999999", label=label)
