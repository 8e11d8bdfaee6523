"""The URL `make lab` prints is the page a learner lands on: lesson 00, and no news popup."""
from __future__ import annotations

import re
import time

import pytest
from browser_support import SCREENSHOTS
from lab_pages import NotebookView

pytestmark = pytest.mark.browser


def test_the_printed_url_opens_lesson_00_and_no_news(page, lab):
    printed = re.search(r"(http://127\.0\.0\.1:\d+/\S*)\?token=", lab.log.read_text()).group(1)
    assert printed == f"{lab.url}/lab/tree/notebooks/00_start_here.ipynb"
    view = NotebookView(page, lab, "notebooks/00_start_here.ipynb")
    page.goto(f"{printed}?token={lab.token}")
    view.wait_until_open()
    time.sleep(2)  # the news question, when on, pops up once the app has settled
    toasts = page.locator(".Toastify__toast").all_text_contents()
    assert not [t for t in toasts if "news" in t.lower()], toasts
    page.screenshot(path=str(SCREENSHOTS / "landing__lesson_00.png"))
