"""One source of truth for dependencies, and the moto version the sandbox was built for."""
from __future__ import annotations

import re
import subprocess
from importlib.metadata import version

import pytest

from kmslab.notebooks import ROOT

PYPROJECT_TEXT = (ROOT / "pyproject.toml").read_text()


def test_environment_yml_installs_the_project_and_nothing_else():
    text = (ROOT / "environment.yml").read_text()
    pip_lines = re.findall(r"^\s+- (-e \S+|[A-Za-z].*)$", text.split("- pip:")[1], re.M)
    assert pip_lines == ["-e .[test]"], "environment.yml must install from pyproject.toml only"
    conda = re.findall(r"^  - (\S+)$", text.split("dependencies:")[1].split("- pip:")[0], re.M)
    assert all(d.split("=")[0] in {"python", "pip"} for d in conda), conda


def test_moto_is_pinned_to_one_minor_version_with_only_the_extras_used():
    moto = re.findall(r'^\s*"(moto\[[^"]*)"', PYPROJECT_TEXT, re.M)
    assert len(moto) == 1 and re.search(r">=5\.2\.\d+,<5\.3", moto[0]), moto
    extras = set(re.search(r"\[(.*)\]", moto[0]).group(1).split(","))
    assert "all" not in extras and {"kms", "s3"} <= extras
    # moto's `server` extra brings 170 MB the course never uses; its server needs only flask
    # (tests/test_endpoint_services.py runs it for every service the course calls).
    assert "server" not in extras
    assert re.search(r'^\s*"flask[>=]', PYPROJECT_TEXT, re.M) and re.search(r'^\s*"flask-cors', PYPROJECT_TEXT, re.M)


def test_installed_moto_is_the_one_the_sandbox_was_built_for():
    installed = version("moto")
    assert installed.startswith("5.2."), (
        f"moto {installed} is installed, but the sandbox extends moto 5.2's backends: "
        "re-run tests/test_fidelity_ledger.py and review kmslab.service before moving the pin")


def test_make_lab_opens_lesson_00_and_make_test_runs_pytest():
    lab = subprocess.run(["make", "-n", "lab", "LAB_ARGS=--port 8899"], cwd=ROOT, capture_output=True,
                         text=True).stdout
    assert "-m kmslab lab --port 8899" in lab  # lesson 00 first: tests/test_lab.py
    test = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "-m pytest -n auto" in test
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_make_installs_from_a_wheelhouse_with_no_network():
    run = lambda *args: subprocess.run(["make", "-n", "-B", *args], cwd=ROOT, capture_output=True,
                                       text=True).stdout
    for target in ("lab", "test"):
        installs = [line for line in run(target, "WHEELHOUSE=/media/usb/wh").splitlines() if "pip install" in line]
        assert installs and all('--no-index --find-links "/media/usb/wh"' in line for line in installs), installs
    # learners get the course without the test tools, and without bytecode up front (issue 16: size)
    assert not any(".[test" in line for line in run("lab").splitlines())
    assert all("--no-compile" in line for line in run("lab").splitlines() if "pip install" in line and " -e " in line)
    assert '".[test,hub]"' in run("wheelhouse") and '".[test,hub]"' in run("test")


def test_the_wheelhouse_holds_what_pip_builds_kmslab_with():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    build = tomllib.loads(PYPROJECT_TEXT)["build-system"]["requires"]
    makefile = (ROOT / "Makefile").read_text()
    listed = re.search(r"^BUILD_REQUIRES := (.*)$", makefile, re.M).group(1)
    assert re.findall(r'"([^"]+)"', listed) == build
