"""Every lesson and lab solution, in JupyterLab in Chromium, as a learner meets it.

Each notebook is opened once (per test process): it must open unmodified and save byte for
byte; then Restart Kernel and Run All Cells, wait until idle, screenshot the end state, and
look at what the page shows: errors, Markdown rendered as maths, and where each link goes.
The test, once per notebook and aspect, reads the findings of that one visit."""
from __future__ import annotations

import pytest
from browser_support import SCREENSHOTS
from lab_pages import NotebookView, byte_difference, new_page

from kmslab.notebooks import ROOT, executed_notebooks, write_atomically

pytestmark = pytest.mark.browser

NOTEBOOKS = [p.relative_to(ROOT).as_posix() for p in executed_notebooks()]
# make test schedules these per notebook (conftest.py): a notebook's four tests share one visit.
PARAMS = [pytest.param(path, id=path) for path in NOTEBOOKS]

_visits: dict[str, dict[str, list[str]] | Exception] = {}


def visit(path: str, browser, lab) -> dict[str, list[str]]:
    if path not in _visits:
        try:
            _visits[path] = _visit(path, browser, lab)
        except Exception as error:  # the other tests of this notebook report it without retrying
            _visits[path] = error
            raise
    found = _visits[path]
    if isinstance(found, Exception):
        raise RuntimeError(f"the visit of {path} failed: {type(found).__name__}: {found}")
    return found


def _visit(path: str, browser, lab) -> dict[str, list[str]]:
    page = new_page(browser, lab)
    found: dict[str, list[str]] = {"saving": [], "errors": [], "maths": [], "links": []}
    try:
        view = NotebookView(page, lab, path)
        committed = view.file.read_bytes()
        view.open()
        if view.is_modified():
            found["saving"].append(f"{path}: opens as modified, with no edit")
        view.save()
        saved = view.file.read_bytes()
        if saved != committed:
            write_atomically(view.file, committed.decode())  # put the committed notebook back
            found["saving"].append(f"{path}: saving without edits changed the file:\n"
                                   + byte_difference(committed, saved, path))
        view.restart_and_run_all()
        view.screenshot(SCREENSHOTS)
        found["errors"] = view.untagged_errors()
        found["maths"] = view.maths()
        found["links"] = view.broken_links()
    finally:
        page.context.close()
        lab.shut_down_sessions()
    return found


ASPECTS = {
    "saving": "opens unmodified, and saving it without edits keeps every byte",
    "errors": "after Restart Kernel and Run All Cells, no cell shows an error unless tagged raises-exception",
    "maths": "no Markdown renders as maths",
    "links": "every link to the course's own files opens what it names",
}


@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("path", PARAMS)
def test_a_notebook_as_a_learner_meets_it(path, aspect, browser, lab):
    problems = visit(path, browser, lab)[aspect]
    assert not problems, f"{ASPECTS[aspect]}: {len(problems)} problem(s)\n" + "\n".join(problems)
