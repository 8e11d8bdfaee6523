"""Project-wide pytest hooks (here, at the root, so they also apply to `pytest notebooks/...`).

- make test runs on every core with pytest-xdist (`-n auto`, and `--dist loadfile` from
  pyproject): each file runs whole on one worker, so a notebook's cells run in order in one
  kernel and a test module's fixtures are made once. Only the browser tests of a notebook
  (tests/browser, parametrized by notebook) are scheduled per notebook, so they spread out.
  Workers take the long work first (browser, notebooks, tests marked slow) so that the short
  tests even out the end.
- Browser tests (mark `browser`, tests/browser/) are skipped with --skip-browser, or when
  Chromium or Playwright is missing; the summary says so in one line.
- Lab checks record progress (kmslab.progress); tests and notebook kernels (which inherit this
  process's environment) record it in a scratch folder, never in the real user's data directory.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile

import pytest

from kmslab.progress import DIR_VARIABLE

_scratch = tempfile.mkdtemp(prefix="kmslab-progress-")


def pytest_configure(config):
    os.environ[DIR_VARIABLE] = _scratch


def pytest_unconfigure(config):
    shutil.rmtree(_scratch, ignore_errors=True)


def pytest_addoption(parser):
    parser.addoption("--skip-browser", action="store_true",
                     help="skip the browser tests (Chromium driving the course's JupyterLab)")


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    reason = None
    if browser_items:
        if config.getoption("--skip-browser"):
            reason = "--skip-browser was given"
        else:
            from browser_support import why_no_browser

            reason = why_no_browser()
    for item in browser_items:
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"browser test: {reason}"))
    if hasattr(config, "workerinput"):  # an xdist worker: long work first, short tests fill the end
        items.sort(key=_expected_length)


def _expected_length(item) -> int:
    """0 for the longest kinds of work (a browser visit, a notebook, a test starting programs)."""
    if item.get_closest_marker("browser") and not item.get_closest_marker("skip"):
        return 0
    if item.get_closest_marker("slow") or item.nodeid.split("::")[0].endswith(".ipynb"):
        return 1
    return 2


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """--dist loadfile, except that browser tests parametrized by a notebook go by notebook."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ByFileBrowserByNotebook(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file, _, rest = nodeid.partition("::")
            notebook = re.search(r"\[([^\]]+?\.ipynb)", rest)
            if file.startswith("tests/browser/") and notebook:
                return f"browser {notebook.group(1)}"
            return file

    return ByFileBrowserByNotebook(config, log)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line on the browser tests: how many ran, or why they did not."""
    counts: dict[str, int] = {}
    reasons: set[str] = set()
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if "browser" in getattr(report, "keywords", {}):
                counts[outcome] = counts.get(outcome, 0) + 1
                if outcome == "skipped" and isinstance(report.longrepr, tuple):
                    reasons.add(str(report.longrepr[2]).removeprefix("Skipped: "))
    markexpr = config.getoption("markexpr") or ""
    if "browser" in markexpr:
        terminalreporter.write_line(f"browser tests: chosen by -m {markexpr!r}", yellow=True, bold=True)
    if not counts:
        return
    line = "browser tests: " + ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
    if reasons:
        line += " (" + "; ".join(sorted(reasons)) + ")"
    else:
        line += "; screenshots in build/screenshots/"
    terminalreporter.write_line(line, yellow=bool(reasons), red=bool(counts.get("failed") or counts.get("error")),
                                bold=True)
