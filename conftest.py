"""Loaded by every pytest run in this project, nbval's alone included (`pytest notebooks/00_*.ipynb`).

Lab checks record progress (kmslab.progress); tests and notebook kernels (which inherit this
process's environment) record it in a scratch folder, never in the real user's data directory.
"""
from __future__ import annotations

import os
import shutil
import tempfile

from kmslab.progress import DIR_VARIABLE

_scratch = tempfile.mkdtemp(prefix="kmslab-progress-")


def pytest_configure(config):
    os.environ[DIR_VARIABLE] = _scratch


def pytest_unconfigure(config):
    shutil.rmtree(_scratch, ignore_errors=True)
