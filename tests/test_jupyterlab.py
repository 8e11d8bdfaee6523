"""`make lab` serves lesson 00: start JupyterLab headless on loopback and open it over REST."""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from kernel_client import execute

from kmslab.notebooks import ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(base, token, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method, headers={
        "Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def _run_in_kernel(port, token, kernel_id, code) -> str:
    """Execute code over the kernel's websocket, as the browser does; return its stdout."""
    return execute(f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={token}", code, timeout=60)[0]


def test_lesson_00_opens_and_a_kernel_runs(tmp_path):
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={ROOT}", "--ServerApp.port_retries=0", "--allow-root"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                _call(base, token, "GET", "/api/status")
                break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("JupyterLab did not answer on loopback")
        nb = _call(base, token, "GET", "/api/contents/notebooks/00_start_here.ipynb")
        assert nb["type"] == "notebook" and nb["content"]["cells"]
        session = _call(base, token, "POST", "/api/sessions", {
            "path": "notebooks/00_start_here.ipynb", "type": "notebook", "name": "",
            "kernel": {"name": "python3"}})
        kernel_id = session["kernel"]["id"]
        assert _call(base, token, "GET", f"/api/kernels/{kernel_id}")["name"] == "python3"
        assert _run_in_kernel(port, token, kernel_id, "print(6 * 7)") == "42\n"
        _call(base, token, "DELETE", f"/api/sessions/{session['id']}")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
