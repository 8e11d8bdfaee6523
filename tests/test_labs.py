"""Every lab, whoever wrote it: the starter runs and says "not done yet", the solution
differs from it only in the learner's cells, and the solution's checks all pass.

Conventions (see labs/): `labs/NN_topic.ipynb` is the starter, `labs/solutions/NN_topic_solution.ipynb`
the same notebook solved and committed executed (its own name, so that two open tabs differ, and a
title that says "Lab NN solution"). Cells the learner fills in carry the tag `learner`. A check cell
is any other code cell whose source is one call `check_xxx(...)` (or `something.check_xxx(...)`);
it prints one line of feedback. Relative links in the solution are written for its own folder.
"""
from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
from pathlib import Path

import pytest

from kmslab.notebooks import ROOT, STANDARD_METADATA
from kmslab.teach.checks import MARKS, OK, TODO, WRONG

LABS = ROOT / "labs"
STARTERS = sorted(LABS.glob("*.ipynb"))
SOLUTIONS = sorted((LABS / "solutions").glob("*.ipynb"))
SOLUTION_SUFFIX = "_solution"


def solution_for(starter: Path) -> Path:
    return LABS / "solutions" / f"{starter.stem}{SOLUTION_SUFFIX}.ipynb"


def starter_for(solution: Path) -> Path:
    return LABS / f"{solution.stem.removesuffix(SOLUTION_SUFFIX)}.ipynb"
CHECK_CALL = re.compile(r"^[\w.]*\bcheck_\w+\(.*\)\s*;?$", re.DOTALL)
OK_MARK, WRONG_MARK, TODO_MARK = MARKS[OK], MARKS[WRONG], MARKS[TODO]
ids = dict(ids=lambda p: p.name if isinstance(p, Path) else p)


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_learner(cell: dict) -> bool:
    return "learner" in _tags(cell)


def is_check(cell: dict) -> bool:
    return cell["cell_type"] == "code" and not is_learner(cell) and bool(CHECK_CALL.match(_source(cell).strip()))


def _text(outputs: list[dict]) -> str:
    parts = []
    for out in outputs:
        if out["output_type"] == "stream":
            parts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
        elif out["output_type"] in ("execute_result", "display_data"):
            plain = out.get("data", {}).get("text/plain", "")
            parts.append("".join(plain) if isinstance(plain, list) else plain)
        elif out["output_type"] == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
    return "\n".join(parts)


# --- conventions that need no kernel ---------------------------------------------------

def test_there_are_labs():
    if not STARTERS and not SOLUTIONS:
        pytest.skip("no labs yet")
    assert STARTERS, "solutions without starters"


@pytest.mark.parametrize("path", STARTERS + SOLUTIONS, ids=lambda p: str(p.relative_to(LABS)))
def test_every_lab_has_a_starter_and_a_solution(path):
    if path.parent == LABS:
        assert solution_for(path).exists(), f"labs/{path.name} has no solution {solution_for(path).relative_to(ROOT)}"
    else:
        assert path.stem.endswith(SOLUTION_SUFFIX), f"{path.relative_to(ROOT)}: a solution's name ends in _solution"
        assert starter_for(path).exists(), f"{path.relative_to(ROOT)} has no starter {starter_for(path).relative_to(ROOT)}"


@pytest.mark.parametrize("starter", STARTERS, **ids)
def test_starter_is_committed_clean(starter):
    nb = json.loads(starter.read_text())
    assert nb["metadata"] == STANDARD_METADATA
    for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        assert cell.get("outputs") == [] and cell.get("execution_count") is None, (
            f"{starter.name}: code cell {i} has outputs or an execution count; starters are committed cleared")


@pytest.mark.parametrize("starter", STARTERS, **ids)
def test_starter_has_tasks_and_checks(starter):
    cells = _cells(starter)
    learner = [c for c in cells if is_learner(c)]
    checks = [c for c in cells if is_check(c)]
    assert learner, f"{starter.name}: no cell tagged `learner`"
    assert checks, f"{starter.name}: no check cell (a one-line `check_xxx(...)` call)"
    for cell in learner:
        assert cell["cell_type"] == "code" and "TODO" in _source(cell), (
            f"{starter.name}: learner cell without a TODO:\n{_source(cell)}")


_LINK_TARGET = re.compile(r"(\]\()([^()\s]+(?:\([^()\s]*\)[^()\s]*)*)(\))")
_SOLUTION_TITLE = re.compile(r"^# Lab (\d\d) solution · ")


def comparable(cell: dict, folder: str, solution: bool = False) -> str:
    """A cell's source with every relative link written from the project root (a starter in labs/
    and its solution in labs/solutions/ link the same files with different paths), and a
    solution's title "# Lab NN solution · ..." read as the starter's "# Lab NN · ..."."""
    source = _source(cell)
    if cell["cell_type"] != "markdown":
        return source

    def from_root(m: re.Match) -> str:
        target = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            return m.group(0)
        return m.group(1) + "/" + posixpath.normpath(posixpath.join(folder, target)) + m.group(3)

    source = _LINK_TARGET.sub(from_root, source)
    return _SOLUTION_TITLE.sub(r"# Lab \1 · ", source) if solution else source


def differences(mine: list[dict], theirs: list[dict], mine_folder: str = "labs",
                theirs_folder: str = "labs/solutions") -> list[str]:
    """Why a solution is not its starter plus answers in `learner` cells (empty when it is)."""
    if len(mine) != len(theirs):
        return [f"{len(mine)} cells in the starter, {len(theirs)} in the solution"]
    found = []
    for i, (a, b) in enumerate(zip(mine, theirs)):
        if a["cell_type"] != b["cell_type"] or _tags(a) != _tags(b):
            found.append(f"cell {i} differs in type or tags")
        elif not is_learner(a) and comparable(a, mine_folder) != comparable(b, theirs_folder, solution=True):
            found.append(f"cell {i} is not tagged `learner` but differs (links compared from the project root):\n"
                         f"--- starter\n{_source(a)}\n--- solution\n{_source(b)}")
    if not found and not any(_source(a) != _source(b) for a, b in zip(mine, theirs) if is_learner(a)):
        found.append("the solution solves nothing")
    return found


@pytest.mark.parametrize("starter", STARTERS, **ids)
def test_solution_differs_only_in_learner_cells(starter):
    solution = solution_for(starter)
    if not solution.exists():
        pytest.fail(f"no solution for {starter.name}")
    found = differences(_cells(starter), _cells(solution))
    assert not found, f"{starter.name}: " + "\n".join(found)


@pytest.mark.parametrize("solution", SOLUTIONS, **ids)
def test_solution_checks_all_pass(solution):
    """The committed outputs (which strict nbval reproduces) show [ok] for every check."""
    checks = [c for c in _cells(solution) if is_check(c)]
    assert checks, f"{solution.name}: no check cells"
    for cell in checks:
        out = _text(cell.get("outputs", []))
        assert OK_MARK in out and WRONG_MARK not in out and TODO_MARK not in out, (
            f"{solution.name}: `{_source(cell).strip()}` printed:\n{out or '(nothing)'}")


STOP_CALL = re.compile(r"^\s*[\w.]+\.stop\(\)\s*(#.*)?$", re.MULTILINE)


@pytest.mark.parametrize("path", STARTERS + SOLUTIONS, **ids)
def test_a_lab_leaves_its_sandbox_running(path):
    """After "Run all" a learner edits a task and runs its check again: the clients the
    setup cell made must still reach the sandbox, so no lab stops it (the kernel does)."""
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] == "code":
            assert not STOP_CALL.search(_source(cell)), (
                f"{path.relative_to(ROOT)}: code cell {i} stops something:\n{_source(cell)}")


# --- the starter, executed ---------------------------------------------------------------

def _execute_copy(notebook: Path, folder: Path):
    """Run a copy of `notebook` in `folder` in a fresh kernel; the committed file is untouched."""
    import nbformat
    from nbclient import NotebookClient

    copy = folder / notebook.name
    shutil.copy(notebook, copy)
    nb = nbformat.read(copy, as_version=4)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("KMSLAB_MODE", None)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    client.execute(env=env)
    return nb


@pytest.mark.parametrize("starter", STARTERS, **ids)
def test_starter_runs_and_every_check_says_not_done_yet(starter, tmp_path):
    before = starter.read_bytes()
    nb = _execute_copy(starter, tmp_path)
    assert starter.read_bytes() == before
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if "raises-exception" not in _tags(cell):
            assert not errors, f"{starter.name}: cell {i} failed: {_text(errors)}\n{cell.source}"
        if is_check(cell):
            out = _text(cell.outputs)
            assert "not done yet" in out and WRONG_MARK not in out, (
                f"{starter.name}: `{cell.source.strip()}` printed:\n{out or '(nothing)'}")


# --- the rules above must be able to fail ---------------------------------------------------

def test_check_cells_are_recognised():
    code = lambda src, tags=(): {"cell_type": "code", "source": src, "metadata": {"tags": list(tags)}}  # noqa: E731
    assert is_check(code("check_key(sb, key_id)"))
    assert is_check(code("lab.check_policy(sb, policy)\n"))
    assert not is_check(code("check_key(sb, key_id)", ["learner"]))
    assert not is_check(code("from kmslab.teach.lab_checks.lab01_x import check_a, check_b"))
    assert not is_check(code("key_id = check_key(sb, 1)\nprint(key_id)"))
    assert _text([{"output_type": "stream", "name": "stdout", "text": "[todo] Task 1: not done yet (set x)\n"}]).startswith(TODO_MARK)


def test_stop_calls_are_found():
    assert STOP_CALL.search("sb.stop()") and STOP_CALL.search("x = 1\ndemo.stop()  # done\n")
    assert not STOP_CALL.search("quota_settings.off()\nprint(sb.stopped)")


def test_differences_are_found():
    md = lambda src: {"cell_type": "markdown", "source": src, "metadata": {}}  # noqa: E731
    todo = {"cell_type": "code", "source": "x = ...  # TODO", "metadata": {"tags": ["learner"]}}
    done = {**todo, "source": "x = 1"}
    assert differences([md("a"), todo], [md("a"), done]) == []
    assert "not tagged `learner`" in differences([md("a"), todo], [md("b"), done])[0]
    assert "solves nothing" in differences([md("a"), todo], [md("a"), todo])[0]
    assert "cells in the starter" in differences([md("a"), todo], [md("a")])[0]
    # links are compared by what they open; the solution's title says it is the solution
    assert differences([md("[l](../notebooks/01_x.ipynb#H)"), todo], [md("[l](../../notebooks/01_x.ipynb#H)"), done]) == []
    assert differences([md("[l](../notebooks/01_x.ipynb)"), todo], [md("[l](../notebooks/01_x.ipynb)"), done])
    assert differences([md("# Lab 02 · X\nok"), todo], [md("# Lab 02 solution · X\nok"), done]) == []
    assert differences([md("# Lab 02 · X"), todo], [md("# Lab 02 · X, solved"), done])
    assert "type or tags" in differences([todo], [{**done, "metadata": {}}])[0]
