"""`make lab` serves the course: start it headless on loopback, as make lab does, and use it over REST."""
from __future__ import annotations

import json
import re
import urllib.request

import pytest
from browser_support import running_lab
from kernel_client import execute

pytestmark = pytest.mark.slow


def _run_in_kernel(port, token, kernel_id, code) -> str:
    """Execute code over the kernel's websocket, as the browser does; return its stdout."""
    return execute(f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={token}", code, timeout=60)[0]


def test_make_lab_serves_the_whole_course_and_a_kernel_runs(tmp_path):
    """`python -m kmslab lab` (what make lab runs): rooted at the project, so lessons, labs,
    solutions and docs are all reachable; lesson 00 is the landing page; no news feed."""
    with running_lab(tmp_path) as lab:
        for path in ("notebooks/00_start_here.ipynb", "labs/01_three_kinds_of_encryption.ipynb",
                     "labs/solutions/01_three_kinds_of_encryption_solution.ipynb", "docs/moto-vs-aws.md"):
            assert lab.exists(path), path
        request = urllib.request.Request(f"{lab.url}/?token={lab.token}")
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.url.split("?")[0].endswith("/lab/tree/notebooks/00_start_here.ipynb")
            page = answer.read().decode()
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                      page, re.S).group(1))
        assert "@jupyterlab/apputils-extension:announcements" in config["disabledExtensions"]
        assert config["news"] == {"disabled": True}
        nb = lab.api("GET", "/api/contents/notebooks/00_start_here.ipynb")
        assert nb["type"] == "notebook" and nb["content"]["cells"]
        session = lab.api("POST", "/api/sessions", {
            "path": "notebooks/00_start_here.ipynb", "type": "notebook", "name": "",
            "kernel": {"name": "python3"}})
        kernel_id = session["kernel"]["id"]
        assert lab.api("GET", f"/api/kernels/{kernel_id}")["name"] == "python3"
        assert _run_in_kernel(lab.port, lab.token, kernel_id, "print(6 * 7)") == "42\n"
        lab.api("DELETE", f"/api/sessions/{session['id']}")
