"""A real browser for tests that look at pages as a reader does: Debian's Chromium, driven by
Playwright for Python. Playwright never downloads a browser here; `.ci/run` installs Chromium
with apt-get, and KMSLAB_CHROMIUM points at another build if needed."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = Path(os.environ.get("KMSLAB_CHROMIUM", "/usr/bin/chromium"))
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
SCREENSHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"   # git-ignored


def launch(playwright):
    """Chromium, headless. Playwright runs it without its sandbox (it does so as root anyway)."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: `apt-get install chromium`, "
                           "or set KMSLAB_CHROMIUM to a Chromium binary")
    return playwright.chromium.launch(executable_path=str(CHROMIUM),
                                      args=["--disable-dev-shm-usage"])


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"file", "data", "blob", "about"} or parts.hostname in LOCAL_HOSTS


class Watch:
    """What went wrong on a page: console errors, uncaught exceptions, failed requests, and any
    request to another host (blocked, so a machine with internet fails the same way)."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text} ({m.location.get('url')})"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(
            f"failed request: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status}: {r.url}"))
        page.route("**/*", self._local_only)

    def _local_only(self, route):
        if is_local(route.request.url):
            route.continue_()
        else:
            self.problems.append(f"request to another host: {route.request.url}")
            route.abort()

    def take(self) -> list[str]:
        problems, self.problems[:] = list(self.problems), []
        return problems
