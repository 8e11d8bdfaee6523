"""What keeps a mock sandbox from ever reaching real AWS.

- The environment is given fake credentials and a Region, and the shared
  credentials and config files are pointed at an empty file, so real keys in
  the environment or in ~/.aws are never read.
- Variables that would send requests elsewhere are cleared while the sandbox runs
  (and given back when it stops), each for a reason:
  AWS_ENDPOINT_URL and every per-service AWS_ENDPOINT_URL_<SERVICE> (they would
  redirect clients away from the sandbox; in endpoint mode AWS_ENDPOINT_URL is set to
  the sandbox instead, so child processes such as the AWS CLI reach it),
  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (it would hide that setting from children),
  AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT (the sandbox has no FIPS or
  dual-stack endpoints; a client that asks for one in its Config gets a SandboxError),
  and HTTP(S)_PROXY, ALL_PROXY and NO_PROXY in both cases (the sandbox needs no proxy,
  and a proxy on loopback would carry requests out).
  https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
- Network access is allowed to loopback addresses only: TCP connect (socket.socket
  and the C-level _socket.socket), UDP sendto/sendmsg, and name lookups, which would
  send a DNS query to the real resolver. Python's audit hooks (PEP 578) see every one
  of these, whichever class or module makes the call.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import sys
from typing import Any

FAKE_ACCESS_KEY = "testing"
FAKE_SECRET_KEY = "testing"

# Variables that could carry real credentials or send boto3 elsewhere.
_CLEARED = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
            "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
            "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
            "http_proxy", "https_proxy", "all_proxy", "no_proxy")
_CLEARED_PREFIXES = ("AWS_ENDPOINT_URL_",)   # AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL_S3, ...


class RealNetworkBlocked(ConnectionRefusedError):
    """Raised when code in a mock sandbox tries to reach a non-loopback address."""


def fake_environment(region: str, endpoint_url: str | None = None) -> dict[str, str | None]:
    """Replace AWS settings in os.environ with fake ones; returns what was there.
    With `endpoint_url`, AWS_ENDPOINT_URL names it, for child processes."""
    saved: dict[str, str | None] = {}

    def put(name: str, value: str | None) -> None:
        saved.setdefault(name, os.environ.get(name))
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

    for name in (*_CLEARED, *[n for n in os.environ if n.startswith(_CLEARED_PREFIXES)]):
        put(name, None)
    if endpoint_url:
        put("AWS_ENDPOINT_URL", endpoint_url)
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


def _check(address: Any, what: str = "a connection to") -> None:
    if isinstance(address, tuple) and address and not is_loopback(address[0]):
        raise RealNetworkBlocked(
            f"The kmslab sandbox blocked {what} {address[0]}: only loopback "
            "(127.0.0.1) is reachable in mock mode. To use a real AWS account, start the "
            "sandbox with mode='aws' (see lesson 00)."
        )


def _check_name(host: Any) -> None:
    if host is None or isinstance(host, int):
        return
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host == "" or is_loopback(host):
        return
    _check((host,), "a DNS lookup of")


# Audit events (PEP 578; https://docs.python.org/3/library/audit_events.html) and how to check them.
_AUDITED = {
    "socket.connect": lambda args: _check(args[1]),
    "socket.sendto": lambda args: _check(args[1], "a datagram to"),
    "socket.sendmsg": lambda args: _check(args[1], "a datagram to"),
    "socket.getaddrinfo": lambda args: _check_name(args[0]),
    "socket.gethostbyname": lambda args: _check_name(args[0]),
    "socket.gethostbyaddr": lambda args: _check_name(args[0]),
    "socket.getnameinfo": lambda args: _check(args[0], "a DNS lookup of"),
}
_hook_installed = False


def _audit(event: str, args: tuple) -> None:
    # Runs for every audit event of the process, for ever (hooks cannot be removed): two
    # cheap tests before anything else.
    if _guarded and event in _AUDITED:
        _AUDITED[event](args)


def _install_audit_hook() -> None:
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)
        _hook_installed = True


def _guarded_connect(self, address):  # type: ignore[no-untyped-def]
    _check(address)
    return _saved["connect"](self, address)  # type: ignore[operator]


def _guarded_connect_ex(self, address):  # type: ignore[no-untyped-def]
    _check(address)
    return _saved["connect_ex"](self, address)  # type: ignore[operator]


def block_network() -> None:
    """Allow outgoing connections to loopback only (nested calls are counted)."""
    global _guarded
    _install_audit_hook()
    if _guarded == 0:  # wrap whatever is installed now (a test's own guard, say)
        _saved["connect"], _saved["connect_ex"] = socket.socket.connect, socket.socket.connect_ex
        socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    _guarded += 1


def guarded() -> bool:
    """Is the loopback-only guard on in this process?"""
    return _guarded > 0


def unblock_network() -> None:
    global _guarded
    _guarded = max(0, _guarded - 1)
    if _guarded == 0 and _saved:
        socket.socket.connect = _saved.pop("connect")  # type: ignore[method-assign]
        socket.socket.connect_ex = _saved.pop("connect_ex")  # type: ignore[method-assign]
