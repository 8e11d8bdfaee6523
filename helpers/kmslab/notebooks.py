"""Re-execute lessons and lab solutions in place, top to bottom, in a fresh kernel.

    python -m kmslab.notebooks run                 # every lesson and solution
    python -m kmslab.notebooks run notebooks/01_*.ipynb

Each notebook runs in its own folder, gets the project's standard metadata,
and is written atomically: a failed run leaves the committed file untouched.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

#: The one kernel spec and language info every committed notebook carries.
STANDARD_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
ROOT = Path(__file__).resolve().parents[2]
EXECUTED_FOLDERS = ("notebooks", "labs/solutions")
TIMEOUT_S = 300


def executed_notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook that is committed executed and compared by nbval."""
    found: list[Path] = []
    for folder in EXECUTED_FOLDERS:
        found += sorted((root / folder).glob("*.ipynb"))
    return found


def kernel_language_info() -> dict:
    """The language_info this machine's python3 kernel reports, which JupyterLab copies
    into a notebook when its kernel starts (the Python version differs between machines)."""
    from ipykernel.ipkernel import IPythonKernel

    return json.loads(json.dumps(IPythonKernel.language_info))


def as_opened(nb) -> None:
    """Give a committed notebook the language_info its kernel is about to report, so that
    JupyterLab finds nothing to change and does not open it as modified."""
    if nb["metadata"].get("language_info") == STANDARD_METADATA["language_info"]:
        nb["metadata"]["language_info"] = kernel_language_info()


def as_committed(nb) -> None:
    """Turn a kernel's language_info (from any Python version) back into the standard one,
    so that saving a notebook without edits writes the committed bytes."""
    found = nb["metadata"].get("language_info")
    if isinstance(found, dict) and _without_version(found) == _without_version(kernel_language_info()):
        nb["metadata"]["language_info"] = dict(STANDARD_METADATA["language_info"])


def _without_version(language_info: dict) -> dict:
    return {name: value for name, value in language_info.items() if name != "version"}


def normalize(nb) -> None:
    """Give a notebook the standard metadata and no per-machine cell metadata."""
    nb.metadata = dict(STANDARD_METADATA)
    for cell in nb.cells:
        for noisy in ("execution", "collapsed", "scrolled"):
            cell.metadata.pop(noisy, None)


def execute(path: Path, timeout: int = TIMEOUT_S) -> None:
    """Run one notebook top to bottom in a fresh python3 kernel and save it in place."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    normalize(nb)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("KMSLAB_MODE", None)  # lessons are committed as run in the default mode
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", coalesce_streams=True,
                            resources={"metadata": {"path": str(path.parent)}})
    from .progress import DIR_VARIABLE

    with tempfile.TemporaryDirectory(prefix="kmslab-progress-") as scratch:
        env[DIR_VARIABLE] = scratch  # a maintainer's run is nobody's progress
        client.execute(env=env)
    normalize(nb)
    write_atomically(path, nbformat.writes(nb) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never half."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kmslab.notebooks")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="re-execute notebooks in place")
    run.add_argument("paths", nargs="*", help="notebooks (default: every lesson and lab solution)")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.paths] or executed_notebooks()
    failed = 0
    for path in paths:
        shown = os.path.relpath(path)
        print(f"running {shown} ...", flush=True)
        try:
            execute(path)
        except Exception as exc:  # report and go on: one broken lesson should not hide the rest
            failed += 1
            first = str(exc).strip().splitlines()
            print(f"  FAILED: {type(exc).__name__}: {first[-1] if first else ''}", flush=True)
    print(f"{len(paths) - failed} notebooks executed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
