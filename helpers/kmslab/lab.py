"""The course's JupyterLab: `python -m kmslab lab [jupyter lab options]` (what `make lab` runs).

Two parts, so that a JupyterHub's single-user servers can reuse the first:
- CONFIG_DIR, a Jupyter config folder whose jupyter_server_config.py calls `configure(c)`:
  terminals that find the course's Python first, notebooks that open unmodified and save
  byte for byte, and no "Jupyter news" popup. Put it on JUPYTER_CONFIG_PATH to use it.
- `main`, the laptop launcher: that config, the file browser rooted at the project (so
  lessons, labs, solutions and docs are all reachable), lesson 00 opened first, loopback only.
"""
from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

from .notebooks import ROOT, as_committed, as_opened

CONFIG_DIR = Path(__file__).resolve().parent / "jupyter_config"
FIRST_PAGE = "notebooks/00_start_here.ipynb"
#: The shell set-up of the course's terminals (sourced by bash, see terminal_command).
TERMINAL_RC = CONFIG_DIR / "terminal.bashrc"


def configure(c) -> None:
    """Apply the course's settings to a Jupyter server's config object `c`."""
    from jupyterlab.handlers.announcements import NeverCheckForUpdate

    c.ServerApp.contents_manager_class = CourseContentsManager
    command = terminal_command()
    if command:
        c.ServerApp.terminado_settings = {"shell_command": command}
    # No news feed and no update check: nothing to fetch, no popup asking about it.
    c.LabApp.news_url = None
    c.LabApp.check_for_updates_class = NeverCheckForUpdate


def terminal_command(bin_dir: str | None = None) -> list[str] | None:
    """A bash that runs the usual login set-up, then puts this Python's scripts folder
    (.venv/bin, or the active conda environment) first on PATH. JupyterLab's terminals are
    login shells, and a profile that resets PATH (Debian's) or activates another conda
    environment would otherwise hide `python -m kmslab` and the course's `aws`."""
    bash = shutil.which("bash")
    if os.name == "nt" or not bash:
        return None  # Windows terminals keep the server's PATH as it is
    bin_dir = bin_dir or sysconfig.get_path("scripts")
    return [shutil.which("env") or "/usr/bin/env", f"KMSLAB_ENV_BIN={bin_dir}",
            bash, "--rcfile", str(TERMINAL_RC), "-i"]


class CourseContentsManager(AsyncLargeFileManager):
    """Jupyter's own file contents manager, plus one translation of notebook metadata:
    a notebook opens with the language_info this machine's kernel reports (so opening it is
    not an edit) and is saved with the course's standard one (so saving it without edits
    leaves it byte-identical). The rules live in kmslab.notebooks."""

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if model.get("type") == "notebook" and model.get("content"):
            as_opened(model["content"])
        return model

    async def save(self, model, path=""):
        if model.get("type") == "notebook" and model.get("content") and "chunk" not in model:
            as_committed(model["content"])
        return await super().save(model, path)


def launch_arguments(extra: list[str]) -> list[str]:
    """`jupyter lab` arguments for a learner's laptop; `extra` (port, token, --no-browser...)
    comes last, so it wins."""
    arguments = [
        f"--ServerApp.root_dir={ROOT}",
        f"--LabApp.default_url=/lab/tree/{FIRST_PAGE}",
        "--ServerApp.ip=127.0.0.1",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        arguments.append("--allow-root")  # containers and CI machines run as root
    return arguments + list(extra)


def config_path(current: str | None) -> str:
    """JUPYTER_CONFIG_PATH with the course's config folder first."""
    return os.pathsep.join([str(CONFIG_DIR), *([current] if current else [])])


def main(extra: list[str]) -> int:
    if not (ROOT / FIRST_PAGE).exists():
        print(f"python -m kmslab lab opens the course from its project folder, but {ROOT / FIRST_PAGE} "
              "is missing; install the project with `pip install -e .` from a clone.", file=sys.stderr)
        return 2
    os.environ["JUPYTER_CONFIG_PATH"] = config_path(os.environ.get("JUPYTER_CONFIG_PATH"))
    from jupyterlab.labapp import LabApp

    LabApp.launch_instance(argv=launch_arguments(extra))
    return 0
