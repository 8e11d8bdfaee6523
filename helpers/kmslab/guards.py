"""What keeps a mock sandbox from ever reaching real AWS.

- The environment is given fake credentials and a Region, and the shared
  credentials and config files are pointed at an empty file, so real keys in
  the environment or in ~/.aws are never read.
- Outgoing connections are allowed to loopback addresses only.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

FAKE_ACCESS_KEY = "testing"
FAKE_SECRET_KEY = "testing"

# Variables that could carry real credentials or send boto3 elsewhere.
_CLEARED = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
            "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE")


class RealNetworkBlocked(ConnectionRefusedError):
    """Raised when code in a mock sandbox tries to reach a non-loopback address."""


def fake_environment(region: str) -> dict[str, str | None]:
    """Replace AWS settings in os.environ with fake ones; returns what was there."""
    saved: dict[str, str | None] = {}

    def put(name: str, value: str | None) -> None:
        saved.setdefault(name, os.environ.get(name))
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

    for name in _CLEARED:
        put(name, None)
    put("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY)
    put("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_KEY)
    put("AWS_DEFAULT_REGION", region)
    put("AWS_REGION", region)
    put("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    put("AWS_CONFIG_FILE", os.devnull)
    put("AWS_EC2_METADATA_DISABLED", "true")
    put("TZ", os.environ.get("TZ"))  # saved here, set to UTC by the sandbox
    return saved


def restore_environment(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def is_loopback(host: Any) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


_saved: dict[str, object] = {}
_guarded = 0


def _check(address: Any) -> None:
    if isinstance(address, tuple) and not is_loopback(address[0]):
        raise RealNetworkBlocked(
            f"The kmslab sandbox blocked a connection to {address[0]}: only loopback "
            "(127.0.0.1) is reachable in mock mode. To use a real AWS account, start the "
            "sandbox with mode='aws' (see lesson 00)."
        )


def _guarded_connect(self, address):  # type: ignore[no-untyped-def]
    _check(address)
    return _saved["connect"](self, address)  # type: ignore[operator]


def _guarded_connect_ex(self, address):  # type: ignore[no-untyped-def]
    _check(address)
    return _saved["connect_ex"](self, address)  # type: ignore[operator]


def block_network() -> None:
    """Allow outgoing connections to loopback only (nested calls are counted)."""
    global _guarded
    if _guarded == 0:  # wrap whatever is installed now (a test's own guard, say)
        _saved["connect"], _saved["connect_ex"] = socket.socket.connect, socket.socket.connect_ex
        socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    _guarded += 1


def unblock_network() -> None:
    global _guarded
    _guarded = max(0, _guarded - 1)
    if _guarded == 0 and _saved:
        socket.socket.connect = _saved.pop("connect")  # type: ignore[method-assign]
        socket.socket.connect_ex = _saved.pop("connect_ex")  # type: ignore[method-assign]
