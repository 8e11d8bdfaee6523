"""Shared fixtures. Network: pyproject's addopts pass --allow-hosts=127.0.0.1,::1
(pytest-socket), so no test can reach anything but loopback."""
from __future__ import annotations

import pytest

from kmslab import sandbox as _sandbox


@pytest.fixture
def sb():
    """A fresh in-process sandbox, stopped after the test."""
    box = _sandbox.start()
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture
def kms(sb):
    return sb.client("kms")
