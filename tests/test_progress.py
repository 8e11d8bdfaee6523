"""Progress: real lab checks record their answers, a learner reads and resets their table, and an
instructor reads a class (with missing, empty and corrupt files) as tables and a figure."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kmslab import progress
from kmslab.progress import course, report, store
from kmslab.teach.lab_checks import lab04_rotation as lab04

TASK1, TASK2 = "Task 1: automatic rotation every 180 days", "Task 2: an on-demand rotation"


@pytest.fixture
def progress_dir(tmp_path, monkeypatch):
    """This test's own progress folder (the session's scratch one is shared by every test)."""
    folder = tmp_path / "progress"
    monkeypatch.setenv(progress.DIR_VARIABLE, str(folder))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return folder


def read(folder: Path) -> dict:
    return json.loads((folder / store.FILE_NAME).read_text())


def run_cli(*args, env_dir: Path | None = None, **env) -> subprocess.CompletedProcess:
    environ = {**os.environ, **env}
    if env_dir is not None:
        environ[progress.DIR_VARIABLE] = str(env_dir)
    return subprocess.run([sys.executable, "-m", "kmslab", "progress", *args], capture_output=True,
                          text=True, env=environ, timeout=120)


def test_tests_and_notebook_kernels_record_into_a_scratch_folder():
    from jupyter_core.paths import jupyter_data_dir

    scratch = Path(os.environ[progress.DIR_VARIABLE])
    assert scratch.is_dir() and not scratch.is_relative_to(jupyter_data_dir())


@pytest.mark.slow
def test_nbval_on_one_lesson_alone_records_nothing_in_the_users_data_directory(tmp_path):
    """Lesson 00 runs a lab check; its kernel inherits the scratch folder from conftest.py."""
    from kmslab.notebooks import ROOT

    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp_path / "jupyter")}
    env.pop(progress.DIR_VARIABLE)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "notebooks/00_start_here.ipynb"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert not (tmp_path / "jupyter" / "kmslab").exists()


def test_without_the_variable_the_file_is_in_the_jupyter_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(progress.DIR_VARIABLE)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter"))
    assert progress.progress_file() == tmp_path / "jupyter" / "kmslab" / "progress.json"


def test_a_real_check_records_not_done_wrong_and_right(progress_dir, sb, kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    assert lab04.check_rotation_period(kms, ...).status == "todo"
    assert lab04.check_rotation_period(kms, key_id).status == "wrong"
    entry = read(progress_dir)["checks"][f"04/{TASK1}"]
    assert (entry["status"], entry["runs"], entry["wrong"], entry["lab"]) == ("wrong", 2, 1, "04")
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)
    assert lab04.check_rotation_period(kms, key_id).ok
    entry = read(progress_dir)["checks"][f"04/{TASK1}"]
    assert entry["status"] == "right" and entry["first_right"] == entry["time"] and entry["runs"] == 3
    # the learner's wall clock, not the sandbox's frozen one
    assert entry["time"].endswith("Z") and entry["time"] != sb.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_sb_reset_leaves_progress_alone(progress_dir, fresh_sb):
    kms = fresh_sb.client("kms")
    lab04.check_rotation_period(kms, ...)
    progress.lesson_done("0")
    before = read(progress_dir)
    fresh_sb.reset()
    assert read(progress_dir) == before and list(before["lessons"]) == ["00"]


def test_a_check_a_lesson_shows_as_an_example_is_not_lab_work(progress_dir, kms, monkeypatch):
    # lesson 00 runs a lab 04 check to show how checks answer; JupyterLab names the notebook
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/ana/kmslab/notebooks/00_start_here.ipynb")
    lab04.check_rotation_period(kms, ...)
    assert not (progress_dir / store.FILE_NAME).exists()
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/ana/kmslab/labs/04_key_rotation.ipynb")
    lab04.check_rotation_period(kms, ...)
    assert read(progress_dir)["checks"][f"04/{TASK1}"]["status"] == "not done"


def test_a_check_outside_the_labs_records_nothing(progress_dir):
    from kmslab.teach.checks import check

    check("Task 1: anything")(lambda: "fine")()
    assert not (progress_dir / store.FILE_NAME).exists()


def test_lesson_done_prints_one_line(progress_dir, capsys):
    progress.lesson_done("03")
    assert capsys.readouterr().out == (
        "Lesson 03 is recorded as done. `python -m kmslab progress` shows what is left.\n")
    assert set(read(progress_dir)["lessons"]["03"]) == {"first", "last"}


def test_the_learner_sees_their_table_and_can_reset_it(progress_dir, kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    lab04.check_rotation_period(kms, key_id)
    lab04.check_on_demand(kms, ...)
    progress.lesson_done("00")
    shown = run_cli(env_dir=progress_dir)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "Lessons run to the end: 1 of 12" in lines and "Next: lesson 01 · Three kinds of encryption" in shown.stdout
    assert any(line.split()[:2] == ["done", "00"] for line in lines)
    assert any(line.strip().startswith(f"wrong        {TASK1}") and "1 run, 1 wrong" in line for line in lines)
    assert any(line.strip().startswith(f"not done     {TASK2}") for line in lines)
    assert any(line.strip().startswith("not checked  Task 1: a client that trusts") for line in lines)

    reset = run_cli("--reset", env_dir=progress_dir)
    assert "Progress reset: 2 checked tasks and 1 lessons forgotten" in reset.stdout
    assert not (progress_dir / store.FILE_NAME).exists()
    assert "Lessons run to the end: 0 of 12" in run_cli(env_dir=progress_dir).stdout
    assert "No progress to reset" in run_cli("--reset", env_dir=progress_dir).stdout


def test_a_corrupt_file_is_kept_aside_when_the_next_answer_is_recorded(progress_dir, capsys):
    progress_dir.mkdir()
    (progress_dir / store.FILE_NAME).write_text('{"format": 1, "checks": {')
    progress.lesson_done("01")
    assert read(progress_dir)["lessons"].keys() == {"01"}
    assert (progress_dir / "progress.json.corrupt").read_text() == '{"format": 1, "checks": {'
    assert "could not be read (corrupt)" in capsys.readouterr().err


def test_a_progress_file_that_cannot_be_written_never_stops_a_check(tmp_path, monkeypatch, kms, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(progress.DIR_VARIABLE, str(blocker / "progress"))
    monkeypatch.setattr("kmslab.progress.record._warned", False)
    assert lab04.check_rotation_period(kms, ...).status == "todo"
    assert lab04.check_rotation_period(kms, ...).status == "todo"
    assert capsys.readouterr().err.count("kmslab: progress not saved") == 1


_WRITER = """
import sys
from kmslab.progress import record
for i in range(int(sys.argv[2])):
    record.record_check("04", f"Task {i % 3}", "wrong" if sys.argv[1] == "w" else "not done")
"""


def test_kernels_recording_at_once_lose_nothing_and_readers_never_see_half_a_file(progress_dir):
    env = {**os.environ, progress.DIR_VARIABLE: str(progress_dir)}
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, kind, "40"], env=env) for kind in "wnwn"]
    seen = 0
    while any(w.poll() is None for w in writers):
        if (progress_dir / store.FILE_NAME).exists():
            store.read(progress_dir / store.FILE_NAME)  # raises on a half-written file
            seen += 1
    assert all(w.wait(timeout=60) == 0 for w in writers)
    checks = read(progress_dir)["checks"]
    assert sum(e["runs"] for e in checks.values()) == 160
    assert sum(e["wrong"] for e in checks.values()) == 80
    assert seen  # the reader did read while they wrote


def test_the_course_lists_every_lesson_and_every_lab_check():
    the_course = course.load()
    assert [p.number for p in the_course.lessons] == [f"{n:02}" for n in range(len(the_course.lessons))]
    assert the_course.lessons[0].title == "Start here"
    assert ("04", TASK1) in the_course.tasks and ("04", TASK2) in the_course.tasks
    assert {lab for lab, _ in the_course.tasks} == {p.number for p in the_course.labs}
    assert the_course.tasks.index(("04", TASK1)) < the_course.tasks.index(("04", TASK2))


LEARNER = """
import sys
from kmslab import progress, sandbox
from kmslab.teach.lab_checks import lab04_rotation as lab04
sb = sandbox.start()
kms = sb.client("kms")
key_id = kms.create_key()["KeyMetadata"]["KeyId"]
lab04.check_rotation_period(kms, key_id)                                  # wrong: rotation is off
if sys.argv[1] == "right":
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)
    lab04.check_rotation_period(kms, key_id)
lab04.check_on_demand(kms, ...)                                          # not done
progress.lesson_done("00")
"""


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    """A hub's /home: two learners who ran real checks, and three whose files are not usable."""
    root = tmp_path_factory.mktemp("homes")
    for name, outcome in (("jupyter-ana", "right"), ("jupyter-ben", "wrong")):
        folder = root / name / report.IN_HOME.parent
        subprocess.run([sys.executable, "-c", LEARNER, outcome], check=True, timeout=120,
                       env={**os.environ, progress.DIR_VARIABLE: str(folder)})
    (root / "jupyter-cy" / report.IN_HOME.parent).mkdir(parents=True)
    (root / "jupyter-cy" / report.IN_HOME).write_text("")
    (root / "jupyter-dee" / report.IN_HOME.parent).mkdir(parents=True)
    (root / "jupyter-dee" / report.IN_HOME).write_text("{not json")
    (root / "jupyter-eve").mkdir()
    return root


def test_a_class_report_names_unusable_files_and_goes_on(homes, tmp_path):
    figure = tmp_path / "figures" / "class.png"
    shown = run_cli("--class", str(homes), str(tmp_path / "nobody"), "--figure", str(figure))
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert out.startswith("Class: 2 learners with progress, 4 without")
    assert f"cy: progress file empty ({homes / 'jupyter-cy' / report.IN_HOME})" in out
    assert "dee: progress file corrupt: not JSON" in out
    assert f"eve: progress file missing ({homes / 'jupyter-eve' / report.IN_HOME})" in out
    assert "nobody: progress file missing: no such folder" in out
    assert "== ana ==" in out and "== ben ==" in out
    row = next(line for line in out.splitlines() if line.strip().startswith(f"lab 04 · {TASK1}"))
    assert row.split()[-4:] == ["1", "1", "0", "0"]  # right, wrong, not done, not checked
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_class_grid_has_a_row_per_learner_and_a_column_per_task(homes, tmp_path):
    from matplotlib.image import imread

    from kmslab.progress.figure import class_grid

    learners = report.find_learners([homes])
    assert [learner.name for learner in learners] == ["ana", "ben", "cy", "dee", "eve"]
    assert [learner.problem.split(":")[0] if learner.problem else None for learner in learners] == [
        None, None, "empty", "corrupt", "missing"]
    the_course = course.load()
    height, width, _ = imread(class_grid(learners, the_course, tmp_path / "grid.png")).shape
    more = learners + [report.Learner(f"extra{i}", tmp_path, data=store.empty()) for i in range(10)]
    taller, same_width, _ = imread(class_grid(more, the_course, tmp_path / "more.png")).shape
    assert taller > height and same_width == width


def test_one_learner_file_can_be_named_directly(homes):
    shown = run_cli("--class", str(homes / "jupyter-ana" / report.IN_HOME))
    assert "Class: 1 learners with progress, 0 without" in shown.stdout and "== ana ==" in shown.stdout
    assert run_cli("--class", str(homes / "jupyter-cy")).returncode == 1  # nothing readable at all


def test_a_home_the_instructor_may_not_read_is_named(tmp_path, monkeypatch):
    home = tmp_path / "jupyter-fay"
    home.mkdir()
    real_exists = Path.exists

    def exists(path, *args, **kwargs):  # what a home of mode 700 does to a reader who is not root
        if path.is_relative_to(home):
            raise PermissionError(13, "Permission denied")
        return real_exists(path, *args, **kwargs)

    monkeypatch.setattr(Path, "exists", exists)
    [fay] = report.find_learners([home])
    assert (fay.name, fay.problem) == ("fay", "unreadable: Permission denied")
