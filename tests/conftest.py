"""Shared fixtures. Network: pyproject's addopts pass --allow-hosts=127.0.0.1,::1
(pytest-socket), so no test can reach anything but loopback."""
from __future__ import annotations

import pytest

from kmslab import sandbox as _sandbox


@pytest.fixture(scope="module")
def sb():
    """One in-process sandbox per test module (starting one costs about a second).
    Quota settings outlive moto's resets, so they are switched off after each module."""
    from kmslab.service import quotas

    box = _sandbox.start()
    try:
        yield box
    finally:
        box.stop()
        quotas.reset()


@pytest.fixture
def fresh_sb():
    """A sandbox of its own, for tests that need an empty account."""
    box = _sandbox.start()
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture(scope="module")
def world():
    """A sandbox of the module's own with the cast of principals (kmslab.teach.cast): (sb, people)."""
    from kmslab.teach import cast

    box = _sandbox.start()
    try:
        yield box, cast.build(box)
    finally:
        box.stop()


@pytest.fixture(scope="module")
def endpoint(sb):
    """The module's sandbox served on 127.0.0.1 too, for plain clients (same backends)."""
    from kmslab.server import LocalEndpoint

    server = LocalEndpoint(seed=None)
    try:
        yield server
    finally:
        server.stop()


# Clients of the module's sandbox, created once (a boto3 client costs tens of milliseconds).
@pytest.fixture(scope="module")
def kms(sb):
    return sb.client("kms")


@pytest.fixture(scope="module")
def s3(sb):
    return sb.client("s3")


@pytest.fixture(scope="module")
def ct(sb):
    return sb.client("cloudtrail")


@pytest.fixture(scope="module")
def ssm(sb):
    return sb.client("ssm")


@pytest.fixture(scope="module")
def sm(sb):
    return sb.client("secretsmanager")


def pytest_collection_modifyitems(config, items):
    """Tests marked `docs` need the built site and its toolchain: they run when asked for
    (`pytest -m docs`, as `make docs-test` does) and are skipped, saying so, otherwise."""
    if "docs" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="docs site: run `make docs`, then `make docs-test`")
    for item in items:
        if item.get_closest_marker("docs"):
            item.add_marker(skip)
