"""Browser tests: Debian's Chromium against the course's JupyterLab (see tests/browser_support.py).
Skip them with --skip-browser; tests/conftest.py reports in the summary when they did not run."""
from __future__ import annotations

import pytest
from browser_support import browser, lab  # noqa: F401 (fixtures)
from lab_pages import new_page


@pytest.fixture
def page(browser, lab):  # noqa: F811
    page = new_page(browser, lab)
    try:
        yield page
    finally:
        page.context.close()
        lab.shut_down_sessions()
