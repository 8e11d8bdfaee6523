"""Helpers shared by the KMS core tests (the fixtures are in conftest.py)."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def error_code(call, *args, **kwargs) -> tuple[str, str]:
    """Run a client call that must fail; return (code, message)."""
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    err = caught.value.response["Error"]
    return err["Code"], err.get("Message", "")
