"""`make wheelhouse`, then `make env WHEELHOUSE=...` into a fresh virtual environment with no network
at all, and lesson 00 runs there, outputs compared by nbval as in `make test`."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kmslab.notebooks import ROOT

pytestmark = pytest.mark.slow
#: Nothing listens on port 9 (discard): a pip that tried the network would fail at once.
NO_NETWORK = "http://127.0.0.1:9"


def test_the_wheelhouse_installs_the_course_offline_and_lesson_00_runs(tmp_path):
    wheels = tmp_path / "wheelhouse"
    built = subprocess.run(["make", "wheelhouse", f"WHEELHOUSE={wheels}"], cwd=ROOT, capture_output=True,
                           text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    assert not list(wheels.glob("kmslab-*"))  # the course installs from its own folder
    assert list(wheels.glob("setuptools-*.whl")) and list(wheels.glob("moto-*.whl"))

    # No index, no pip configuration of this machine, and for the install every proxy pointing nowhere.
    env = {name: value for name, value in os.environ.items()
           if not name.upper().startswith(("PIP_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_CACHE_DIR="1")
    offline = {**env, "HTTP_PROXY": NO_NETWORK, "HTTPS_PROXY": NO_NETWORK, "http_proxy": NO_NETWORK,
               "https_proxy": NO_NETWORK}
    venv = tmp_path / "venv"
    installed = subprocess.run(["make", "env", f"VENV={venv}", f"WHEELHOUSE={wheels}", f"PYTHON={sys.executable}"],
                               cwd=ROOT, capture_output=True, text=True, timeout=900, env=offline)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-3000:]
    assert "--no-index" in installed.stdout

    lesson = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "notebooks/00_start_here.ipynb"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert lesson.returncode == 0, lesson.stdout[-3000:]
    assert " passed" in lesson.stdout
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import kmslab, moto; print(moto.__file__)"],
        capture_output=True, text=True, timeout=60, env=env).stdout
    assert where.startswith(str(venv))  # the lesson ran on what the wheelhouse installed
