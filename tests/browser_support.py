"""Reusable parts for tests that look through a real browser.

- Debian's Chromium (/usr/bin/chromium, or KMSLAB_CHROMIUM), driven by Playwright for Python
  with `executable_path`: Playwright's own browser download is never used or needed.
- The course's JupyterLab, started exactly as `make lab` starts it (`python -m kmslab lab`,
  with LAB_ARGS-style options for port, token and --no-browser), on loopback.

Fixtures `browser` and `lab` are defined here; a test folder's conftest.py imports them
(`from browser_support import browser, lab  # noqa: F401`). Screenshots go to SCREENSHOTS,
which git ignores. Browser tests carry the `browser` mark; the root conftest.py skips them with
--skip-browser or when Chromium is missing, and says so in the summary.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

from kmslab.notebooks import ROOT

CHROMIUM = Path(os.environ.get("KMSLAB_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "build" / "screenshots"   # git-ignored
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
VIEWPORT = {"width": 1400, "height": 1000}

# JupyterLab user settings for the test's own (temporary) Jupyter config folder. They change
# nothing a learner sees in a lesson; they keep a test from writing into the repository and
# let it read what a terminal shows.
LAB_TEST_SETTINGS = {
    # a run that outlasts the autosave interval must never write executed outputs into a lesson
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # closing a notebook's tab stops its kernel, so following links does not pile up kernels
    "@jupyterlab/notebook-extension/tracker": {"kernelShutdown": True},
    # xterm.js draws on a canvas; its screen-reader mode also puts the text in the page
    "@jupyterlab/terminal-extension/plugin": {"screenReaderMode": True},
}


def why_no_browser() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set KMSLAB_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (make env installs the test extra)"
    return None


def chromium_args() -> list[str]:
    args = ["--disable-dev-shm-usage"]  # containers often have a tiny /dev/shm
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return args


def launch_chromium(playwright: Any):
    """Debian's Chromium, headless; never a browser Playwright downloaded."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=chromium_args(), headless=True)


def launch(playwright: Any):
    """launch_chromium, with a clear error when there is no Chromium (tests that cannot skip)."""
    reason = why_no_browser()
    if reason:
        raise RuntimeError(reason)
    return launch_chromium(playwright)


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def path_without_this_python(path: str) -> str:
    """PATH as a learner's shell has it before `make lab`: without .venv/bin (or the env's bin)."""
    scripts = os.path.normcase(sysconfig.get_path("scripts"))
    return os.pathsep.join(p for p in path.split(os.pathsep) if os.path.normcase(p) != scripts)


class Lab:
    """A running course JupyterLab: its URL, token and REST API."""

    def __init__(self, port: int, token: str, log: Path):
        self.port, self.token, self.log = port, token, log
        self.url = f"http://127.0.0.1:{port}"

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers={
            "Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read()
        return json.loads(text) if text else None

    def exists(self, path: str) -> bool:
        try:
            self.api("GET", f"/api/contents/{urllib.request.quote(path)}?content=0")
            return True
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return False
            raise

    def shut_down_sessions(self) -> None:
        """Stop every kernel and terminal (one may be going away already: closing a tab stops it)."""
        gone = [f"/api/sessions/{s['id']}" for s in self.api("GET", "/api/sessions")]
        gone += [f"/api/terminals/{t['name']}" for t in self.api("GET", "/api/terminals")]
        for path in gone:
            try:
                self.api("DELETE", path)
            except urllib.error.HTTPError as error:
                if error.code != 404:
                    raise

    def tree_url(self, path: str) -> str:
        """The page a learner opens for `path`, with a fresh workspace (`reset`)."""
        return f"{self.url}/lab/tree/{path}?reset&token={self.token}"


@contextmanager
def running_lab(workdir: Path, extra_args: list[str] = ()) -> Iterator[Lab]:
    """`python -m kmslab lab` (the command `make lab` runs) on a free loopback port, with a Jupyter
    config, runtime and checkpoint folder of its own under `workdir`. Stopped on exit."""
    port, token = free_port(), secrets.token_hex(16)
    config = workdir / "jupyter-config"
    for plugin, values in LAB_TEST_SETTINGS.items():
        target = config / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
           "PATH": path_without_this_python(os.environ.get("PATH", "")), "BROWSER": "true"}
    env.pop("VIRTUAL_ENV", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    log = workdir / "jupyterlab.log"
    args = ["--no-browser", f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
            f"--FileCheckpoints.checkpoint_dir={workdir / 'checkpoints'}", *extra_args]
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "kmslab", "lab", *args], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    lab = Lab(port, token, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                lab.api("GET", "/api/status")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start; its log:\n{log.read_text()[-3000:]}")
                time.sleep(0.25)
        yield lab
    finally:
        try:
            lab.shut_down_sessions()
        except OSError:
            pass  # already gone; SIGTERM below makes sure
        process.send_signal(signal.SIGTERM)  # jupyter_server stops its kernels and terminals
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """The course's JupyterLab, one per test process (each xdist worker has its own)."""
    with running_lab(tmp_path_factory.mktemp("jupyterlab")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module: Playwright's event loop stays in this thread only while
    browser tests run (a later test may call asyncio.run)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
