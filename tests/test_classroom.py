"""copy-course: a learner gets the lessons and labs they lack, and never loses a file they have."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kmslab.classroom import COURSE_FILES, copy_course
from kmslab.notebooks import ROOT


def test_a_new_learner_gets_every_lesson_lab_solution_and_doc(tmp_path):
    copied = copy_course(tmp_path / "kmslab")
    names = {p.relative_to(tmp_path / "kmslab").as_posix() for p in copied}
    expected = {p.relative_to(ROOT).as_posix() for pattern in COURSE_FILES for p in ROOT.glob(pattern)}
    assert names == expected
    assert {"notebooks/00_start_here.ipynb", "labs/04_key_rotation.ipynb",
            "labs/solutions/04_key_rotation_solution.ipynb", "docs/moto-vs-aws.md", "README.md"} <= names
    lesson = "notebooks/03_symmetric_keys.ipynb"
    assert (tmp_path / "kmslab" / lesson).read_bytes() == (ROOT / lesson).read_bytes()


def test_a_second_copy_keeps_the_learners_work_and_restores_what_they_deleted(tmp_path):
    folder = tmp_path / "kmslab"
    copy_course(folder)
    mine = folder / "labs" / "04_key_rotation.ipynb"
    mine.write_text("my answers")
    (folder / "notebooks" / "05_asymmetric_keys.ipynb").unlink()
    (folder / "notes.txt").write_text("mine too")
    copied = copy_course(folder)
    assert copied == [folder / "notebooks" / "05_asymmetric_keys.ipynb"]
    assert mine.read_text() == "my answers" and (folder / "notes.txt").exists()
    assert not list(folder.rglob("*.tmp"))


def test_without_the_course_files_it_says_how_to_install(tmp_path):
    with pytest.raises(SystemExit, match="pip install -e"):
        copy_course(tmp_path / "dest", source=tmp_path / "empty")


def test_the_command_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "kmslab", "copy-course", str(tmp_path / "k")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "files already there were kept" in done.stdout
    again = subprocess.run([sys.executable, "-m", "kmslab", "copy-course", str(tmp_path / "k")],
                           capture_output=True, text=True, timeout=60)
    assert again.stdout.startswith("0 course files copied")


def test_hub_singleuser_runs_with_the_course_jupyter_config(tmp_path, monkeypatch):
    """On a hub, learners get what make lab gives: the same config folder comes first."""
    from kmslab import classroom
    from kmslab.lab import CONFIG_DIR

    started = {}

    def execv(command, argv):
        started.update(command=command, argv=argv, config_path=os.environ["JUPYTER_CONFIG_PATH"])
        raise SystemExit(0)

    monkeypatch.setenv("KMSLAB_COURSE_DIR", str(tmp_path / "kmslab"))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", "/etc/theirs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(classroom.shutil, "which", lambda name, path=None: f"/bin/{name}")
    monkeypatch.setattr(classroom.os, "execv", execv)
    with pytest.raises(SystemExit):
        classroom.singleuser(["--port=9999"])
    assert started["config_path"].split(os.pathsep) == [str(CONFIG_DIR), "/etc/theirs"]
    assert started["argv"][-1] == "--port=9999"   # the hub's arguments win
    assert f"--ServerApp.root_dir={tmp_path / 'kmslab'}" in started["argv"]
