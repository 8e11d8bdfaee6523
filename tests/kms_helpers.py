"""Shared fixtures for the KMS core tests: one in-process sandbox per test module."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from kmslab import sandbox


@pytest.fixture(scope="module")
def sb():
    box = sandbox.start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def kms(sb):
    return sb.client("kms")


def error_code(call, *args, **kwargs) -> tuple[str, str]:
    """Run a client call that must fail; return (code, message)."""
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    err = caught.value.response["Error"]
    return err["Code"], err.get("Message", "")
