"""The course's JupyterLab (kmslab.lab), without a browser: how it is launched, what its
terminals find first, and that a notebook saved without edits keeps every byte."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from traitlets.config import Config

from kmslab import lab
from kmslab.notebooks import ROOT, STANDARD_METADATA, as_committed, as_opened, kernel_language_info


def test_launch_roots_at_the_project_and_opens_lesson_00():
    args = lab.launch_arguments(["--port", "8899", "--no-browser"])
    assert f"--ServerApp.root_dir={ROOT}" in args
    assert "--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb" in args
    assert "--ServerApp.ip=127.0.0.1" in args
    assert args[-3:] == ["--port", "8899", "--no-browser"]  # last, so a learner's options win
    assert (ROOT / lab.FIRST_PAGE).exists()


def test_the_config_folder_comes_first_and_keeps_what_was_there():
    assert lab.config_path(None) == str(lab.CONFIG_DIR)
    assert lab.config_path("/elsewhere") == os.pathsep.join([str(lab.CONFIG_DIR), "/elsewhere"])
    assert (lab.CONFIG_DIR / "jupyter_server_config.py").exists()
    page = json.loads((lab.CONFIG_DIR / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"] == {"@jupyterlab/apputils-extension:announcements": True}


def test_configure_sets_contents_terminals_and_no_news():
    c = Config()
    lab.configure(c)
    assert c.ServerApp.contents_manager_class is lab.CourseContentsManager
    assert c.LabApp.news_url is None
    assert c.LabApp.check_for_updates_class.__name__ == "NeverCheckForUpdate"
    if shutil.which("bash") and os.name != "nt":
        assert c.ServerApp.terminado_settings["shell_command"] == lab.terminal_command()


@pytest.mark.skipif(os.name == "nt" or not shutil.which("bash"), reason="bash terminals only")
def test_a_terminal_finds_the_course_first_even_when_the_profile_resets_path(tmp_path):
    """A login profile that resets PATH and puts another Python first (as Debian's
    /etc/profile and a conda `activate` in ~/.profile do) does not hide the course's."""
    other = tmp_path / "other-env" / "bin"
    other.mkdir(parents=True)
    for name in ("python", "aws"):
        (other / name).write_text("#!/bin/sh\necho not the course\n")
        (other / name).chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".profile").write_text(f'PATH="{other}:/usr/bin:/bin"\n')
    answer = subprocess.run(
        lab.terminal_command(), input="command -v python aws\nexit\n", capture_output=True, text=True,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "dumb"}, timeout=30)
    scripts = Path(sysconfig.get_path("scripts"))
    assert answer.stdout.split() == [str(scripts / "python"), str(scripts / "aws")], answer.stderr


def _round_trip(tmp_path: Path, relative: str, kernel_reports: dict | None = None) -> tuple[bytes, bytes, dict]:
    """Open a notebook through the course's contents manager, let the 'kernel' fill in
    language_info as JupyterLab does, save it back unedited; return (before, after, opened)."""
    target = tmp_path / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / relative, target)
    before = target.read_bytes()
    manager = lab.CourseContentsManager(root_dir=str(tmp_path))

    async def go():
        model = await manager.get(relative, content=True, type="notebook")
        opened = json.loads(json.dumps(model["content"]))  # what the browser receives
        sent = json.loads(json.dumps(opened))
        if kernel_reports is not None:
            sent["metadata"]["language_info"] = kernel_reports
        await manager.save({"type": "notebook", "format": "json", "content": sent}, relative)
        return opened

    with ThreadPoolExecutor(1) as thread:  # a loop of its own, whatever runs in this one
        opened = thread.submit(asyncio.run, go()).result()
    return before, target.read_bytes(), opened


def test_a_notebook_opens_with_what_its_kernel_will_report(tmp_path):
    """JupyterLab copies the kernel's language_info into the notebook and marks it modified
    when that changes anything; the contents manager gives it that language_info already."""
    _, _, opened = _round_trip(tmp_path, "notebooks/00_start_here.ipynb")
    assert opened["metadata"]["language_info"] == kernel_language_info()
    assert opened["metadata"]["kernelspec"] == STANDARD_METADATA["kernelspec"]
    assert kernel_language_info()["version"] == sys.version.split()[0]


@pytest.mark.parametrize("version", [None, "3.10.4", "3.13.1"])
def test_saving_without_edits_keeps_every_byte(tmp_path, version):
    """Whatever Python the learner's kernel runs, the saved file is the committed one, and so
    it keeps the metadata that tests/test_notebook_hygiene.py asks for."""
    report = dict(kernel_language_info(), **({"version": version} if version else {}))
    before, after, _ = _round_trip(tmp_path, "labs/solutions/02_envelope_encryption_solution.ipynb", report)
    assert after == before
    assert json.loads(after)["metadata"] == STANDARD_METADATA


def test_only_a_python_kernel_report_is_translated():
    other = {"metadata": {"language_info": {"name": "R", "version": "4.3.0"}}}
    as_committed(other)
    as_opened(other)
    assert other["metadata"]["language_info"] == {"name": "R", "version": "4.3.0"}
    mine = {"metadata": {"language_info": dict(STANDARD_METADATA["language_info"])}}
    as_opened(mine)
    assert mine["metadata"]["language_info"] == kernel_language_info()
    as_committed(mine)
    assert mine["metadata"]["language_info"] == STANDARD_METADATA["language_info"]
