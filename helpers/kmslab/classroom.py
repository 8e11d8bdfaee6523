"""The course on a JupyterHub: each learner's own copy of the lessons and labs.

`python -m kmslab hub-singleuser ...` is the single-user server command of classroom/jupyterhub_config.py:
it runs as the learner, copies into their course folder the course files they do not have yet (never
one they have, so their work is kept across logins and course updates), then becomes JupyterHub's
own `jupyterhub-singleuser`, rooted in that folder, with kernels culled after an hour idle, and the
hub's arguments last (so the hub's settings win). It runs with the same Jupyter config folder as
`make lab` (kmslab.lab.CONFIG_DIR): terminals find the course's Python, notebooks save byte for byte,
no news popup.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from .notebooks import ROOT

#: What a learner gets, relative to the course (lessons link to ../labs and ../docs).
COURSE_FILES = ("README.md", "notebooks/*.ipynb", "labs/*.ipynb", "labs/solutions/*.ipynb", "docs/*.md")
#: Where the copy goes, under the learner's home, unless KMSLAB_COURSE_DIR says otherwise.
DEFAULT_FOLDER = "kmslab"


#: A kernel holds 100 to 350 MB; one left idle for an hour (a lesson finished long ago) gives it back.
SERVER_DEFAULTS = ("--MappingKernelManager.cull_idle_timeout=3600", "--MappingKernelManager.cull_interval=300")


def course_folder() -> Path:
    return Path(os.environ.get("KMSLAB_COURSE_DIR") or Path.home() / DEFAULT_FOLDER)


def copy_course(destination: Path, source: Path = ROOT) -> list[Path]:
    """Copy every course file missing from `destination`; returns the files copied."""
    destination, source = Path(destination), Path(source)
    files = sorted({p for pattern in COURSE_FILES for p in source.glob(pattern)})
    if not any(p.suffix == ".ipynb" for p in files):
        raise SystemExit(f"No lessons under {source}: install kmslab from a clone of the course "
                         "(pip install -e <clone>) so that it can find them.")
    copied = []
    for path in files:
        target = destination / path.relative_to(source)
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # a copy that is interrupted leaves a temporary file behind, never a half lesson
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(path, tmp)
            if target.exists():  # appeared meanwhile: theirs wins
                continue
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        copied.append(target)
    return copied


def singleuser(args: list[str]) -> int:
    """Copy what is missing, then exec jupyterhub-singleuser with `args` (the spawner's)."""
    folder = course_folder()
    copied = copy_course(folder)
    print(f"kmslab: {len(copied)} course files copied into {folder}", file=sys.stderr, flush=True)
    os.chdir(folder)
    from .lab import config_path

    os.environ["JUPYTER_CONFIG_PATH"] = config_path(os.environ.get("JUPYTER_CONFIG_PATH"))
    command = shutil.which("jupyterhub-singleuser", path=os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if command is None:
        raise SystemExit("jupyterhub-singleuser is not installed in this environment (pip install jupyterhub)")
    # the hub's own `args` come last, so they win over these defaults
    os.execv(command, [command, f"--ServerApp.root_dir={folder}", *SERVER_DEFAULTS, *args])
    return 1  # not reached
