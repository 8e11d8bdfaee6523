"""What a reader opens must be what CI just reproduced: executed, in order, clean."""
from __future__ import annotations

import getpass
import json
import re
from pathlib import Path

import pytest

from kmslab.notebooks import ROOT, STANDARD_METADATA, executed_notebooks

NOTEBOOKS = executed_notebooks()
STARTERS = sorted((ROOT / "labs").glob("*.ipynb"))

_user = re.escape(getpass.getuser())
MACHINE_PATH = re.compile(
    r"/home/[A-Za-z_]|/Users/[A-Za-z_]|/root/|/tmp/|/var/folders/|site-packages|\.venv/|ipykernel_\d+"
    + (rf"|\b{_user}\b" if getpass.getuser() not in ("root", "runner") else "")
    + rf"|{re.escape(str(ROOT))}"
)


def _code_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text())
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_there_are_lessons():
    assert any(p.name.startswith("00_") for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS + STARTERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_metadata_is_the_standard_kernel(path):
    # JupyterLab started by `make lab` saves exactly this metadata (tests/test_lab.py, and
    # tests/browser/test_browser_notebooks.py in a real browser).
    assert json.loads(path.read_text())["metadata"] == STANDARD_METADATA, (
        f"{path.name}: run `make notebooks NOTEBOOKS={path.relative_to(ROOT)}` to normalise it")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_executed_top_to_bottom(path):
    counts = [c.get("execution_count") for c in _code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts}; re-run it top to bottom in a fresh kernel "
        f"(make notebooks NOTEBOOKS={path.relative_to(ROOT)})")


@pytest.mark.parametrize("path", NOTEBOOKS + STARTERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_errors_only_where_tagged(path):
    for i, cell in enumerate(_code_cells(path)):
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                assert "raises-exception" in tags, f"{path.name}: code cell {i} stores an error without the raises-exception tag"


@pytest.mark.parametrize("path", NOTEBOOKS + STARTERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_machine_paths_or_user_names(path):
    for i, cell in enumerate(_code_cells(path)):
        text = json.dumps(cell.get("outputs", []))
        found = MACHINE_PATH.search(text)
        assert not found, f"{path.name}: code cell {i} output shows {found.group(0)!r}"


def test_the_hygiene_rules_catch_what_they_should(tmp_path):
    """The checks above must be able to fail."""
    assert MACHINE_PATH.search('"/home/alice/x"') and MACHINE_PATH.search("site-packages/boto3")
    assert MACHINE_PATH.search("/tmp/ipykernel_1234/55.py")
    assert not MACHINE_PATH.search("notebooks/00_start_here.ipynb")
