"""A lab, worked as a learner works it: open the starter, run it top to bottom with
Shift+Enter, see every check say "not done yet", then type a wrong answer and a right one
into task 1 and read what the check says each time."""
from __future__ import annotations

import re

import pytest
from browser_support import SCREENSHOTS
from lab_pages import NotebookView, output_text, run_cells, type_into_cell

pytestmark = pytest.mark.browser

LAB = "labs/01_three_kinds_of_encryption.ipynb"
TASK_1 = 3  # the learner cell of task 1; its check cell follows


def test_lab_checks_answer_what_a_learner_types(page, lab):
    view = NotebookView(page, lab, LAB)
    committed = view.file.read_bytes()
    view.open()
    assert not view.is_modified(), f"{LAB} opens as modified"
    checks = [i for i, cell in enumerate(view.source["cells"])
              if cell["cell_type"] == "code" and re.match(r"check_\w+\(", "".join(cell["source"]))]
    assert view.source["cells"][TASK_1 + 1] is view.source["cells"][checks[0]]

    # From the top to the last check, one Shift+Enter per cell (not the clean-up after it).
    run_cells(view, 0, checks[-1])
    for index in checks:
        assert "not done yet" in output_text(view, index), f"check cell {index}: {output_text(view, index)!r}"

    type_into_cell(view, TASK_1, "context = ssl.create_default_context()")
    run_cells(view, TASK_1, TASK_1 + 1)  # the task cell, then its check
    wrong = output_text(view, TASK_1 + 1)
    assert "trust store" in wrong and "demo.certs.ca_cert" in wrong and "not done yet" not in wrong, wrong

    type_into_cell(view, TASK_1, "context = ssl.create_default_context(cafile=demo.certs.ca_cert)")
    run_cells(view, TASK_1, TASK_1 + 1)
    right = output_text(view, TASK_1 + 1)
    assert "connects to the real server and refuses Mallory" in right, right
    page.screenshot(path=str(SCREENSHOTS / "lab__01_task_1_right.png"))

    assert view.file.read_bytes() == committed, "the test must not save the learner's edits"
