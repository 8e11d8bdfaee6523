"""Checks for lab 01 (three kinds of encryption): a client that trusts the lab's CA,
and what an eavesdropper still sees under TLS.

The checks connect for real, on 127.0.0.1, to the servers of `tls.start_demo`.
"""
from __future__ import annotations

import socket
import ssl
from typing import Any

from .. import tls
from ..checks import Wrong, check, expect, require

HINT_VERIFY = "lesson 01, 'A client that checks the certificate'"
HINT_MITM = "lesson 01, '3. A man in the middle'"
HINT_SPY = "lesson 01, '2. What an eavesdropper sees'"

#: What a learner may say the eavesdropper sees; the check decides each one from the capture.
OBSERVABLES = (
    "server name", "tls version", "cipher suite", "record sizes", "ip addresses and ports",
    "server certificate", "url path", "http headers", "page content", "the secret",
)
# Why each hidden thing is hidden (sources: tls13, what-tls-hides).
_HIDDEN_WHY = {
    "url path": "the path is in the request line, which travels inside the encrypted records; only the "
                "server name (SNI) is in clear",
    "http headers": "headers are part of the HTTP request and response, inside the encrypted records",
    "page content": "the page travels in application_data records, encrypted with AES-GCM",
    "the secret": "the capture does not contain the card number (seen.secret_visible is False)",
    "server certificate": "under TLS 1.3 everything after the ServerHello is encrypted, the certificate "
                          "included (seen.certificate_subjects is empty)",
}


def _handshake(context: ssl.SSLContext, port: int, server_name: str = tls.SERVER_NAME) -> None:
    """A TLS handshake with `context`; raises ssl.SSLError (or OSError) when refused."""
    with socket.create_connection((tls.HOST, port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as conn:
            conn.getpeercert()


@check("Task 1: a client that trusts the lab's CA", hint=HINT_VERIFY)
def check_trusts_ca(demo: Any, context: Any) -> str:
    require(context, "context")
    expect(isinstance(context, ssl.SSLContext), "context",
           f"context is a {type(context).__name__}, not an ssl.SSLContext "
           "(build one with ssl.create_default_context(cafile=...))")
    expect(context.protocol != ssl.PROTOCOL_TLS_SERVER, "context",
           "this is a server-side context (PROTOCOL_TLS_SERVER, or Purpose.CLIENT_AUTH): a client needs "
           "ssl.create_default_context(cafile=...) or ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)")
    expect(context.verify_mode != ssl.CERT_NONE, "certificate verification",
           "verify_mode is CERT_NONE: this client would accept any certificate, Mallory's included", HINT_MITM)
    expect(context.verify_mode == ssl.CERT_REQUIRED, "certificate verification",
           f"verify_mode is {context.verify_mode.name}: say what you mean, ssl.CERT_REQUIRED (the default of "
           "create_default_context)", HINT_MITM)
    expect(context.check_hostname, "host name check",
           "check_hostname is False: any certificate from a trusted CA would do, for any site", HINT_VERIFY)
    try:
        _handshake(context, demo.https.port)
    except ssl.SSLCertVerificationError as error:
        raise Wrong("trust store", f"the real server was rejected ({tls.verify_failure(error)}): "
                    "load the lab's CA file, demo.certs.ca_cert") from None
    try:
        _handshake(context, demo.https.port, server_name="bank.example")
    except ssl.SSLCertVerificationError:
        pass
    else:
        raise Wrong("host name check", "a certificate for 'localhost' was accepted for 'bank.example'")
    try:
        _handshake(context, demo.mitm.port)
    except ssl.SSLCertVerificationError:
        pass
    else:
        raise Wrong("man in the middle", "your client accepted Mallory's certificate: trust only the lab's "
                    "CA, not the attacker's CA file", HINT_MITM)
    return "connects to the real server and refuses Mallory and wrong host names"


# Words learners use for a choice, mapped to the choice's name in OBSERVABLES.
_SYNONYMS = {
    "sni": "server name", "hostname": "server name", "host name": "server name", "domain": "server name",
    "version": "tls version", "protocol version": "tls version", "cipher": "cipher suite",
    "sizes": "record sizes", "lengths": "record sizes", "packet sizes": "record sizes",
    "ip addresses": "ip addresses and ports", "ports": "ip addresses and ports", "ip": "ip addresses and ports",
    "certificate": "server certificate", "path": "url path", "url": "url path", "headers": "http headers",
    "body": "page content", "content": "page content", "card number": "the secret", "secret": "the secret",
}


def _truth(seen: Any) -> dict[str, bool]:
    """Which observables this capture really shows."""
    return {
        "server name": bool(seen.server_name),
        "tls version": bool(seen.version),
        "cipher suite": bool(seen.cipher),
        "record sizes": bool(seen.records_to_server),
        "ip addresses and ports": True,  # the relay had to connect to them (sources: what-tls-hides)
        "server certificate": seen.certificate_visible,
        "url path": False,
        "http headers": False,
        "page content": False,
        "the secret": seen.secret_visible,
    }


_VISIBLE_WHY = {
    "server name": lambda s: f"the SNI travels in clear in the ClientHello (seen.server_name = {s.server_name!r})",
    "tls version": lambda s: f"the ServerHello is in clear (seen.version = {s.version!r})",
    "cipher suite": lambda s: f"the ServerHello is in clear (seen.cipher = {s.cipher!r})",
    "record sizes": lambda s: f"record headers are in clear (seen.sizes_to_server = {s.sizes_to_server})",
    "ip addresses and ports": lambda s: "the eavesdropper relays the packets, so it knows both ends",
    "server certificate": lambda s: "under TLS 1.2 the Certificate message is in clear "
                                    f"(seen.certificate_subjects = {list(s.certificate_subjects)})",
}


@check("Task 2: what the eavesdropper still sees", hint=HINT_SPY)
def check_eavesdropper_view(seen: Any, visible: Any) -> str:
    require(seen, "seen")
    expect(not isinstance(seen, tls.Answer), "seen",
           "that is what the client got back (tls.fetch's answer); the eavesdropper's view is "
           "spy.observe(tls.SECRET) on the tls.Relay you fetched through")
    expect(hasattr(seen, "protocol") and hasattr(seen, "server_name"), "seen",
           f"seen is of type {type(seen).__name__}: use the result of spy.observe(tls.SECRET)")
    expect(seen.protocol == "TLS", "seen", "the relay saw plain HTTP: fetch over HTTPS with tls.fetch")
    expect(seen.version == "TLSv1.2", "seen",
           f"the relay saw {seen.version}: fetch with max_version='TLSv1.2' as the task asks")
    require(visible, "visible")
    expect(isinstance(visible, (set, frozenset, list, tuple)), "visible",
           f"visible is a {type(visible).__name__}: make it a set of strings from OBSERVABLES")
    answer = {str(item).strip().lower() for item in visible}
    unknown = sorted(answer - set(OBSERVABLES))
    for word in unknown:
        if word in _SYNONYMS:
            raise Wrong("visible", f"{word!r} is not among the choices: you mean {_SYNONYMS[word]!r}")
    expect(not unknown, "visible", f"{unknown} not among the choices: pick from {list(OBSERVABLES)}")
    truth = _truth(seen)
    for item in OBSERVABLES:  # one fixed order, so the first mistake reported is stable
        if item in answer and not truth[item]:
            raise Wrong(item, "hidden from the eavesdropper: " + _HIDDEN_WHY[item])
        if item not in answer and truth[item]:
            raise Wrong(item, "visible to the eavesdropper, but missing from your set: "
                        + _VISIBLE_WHY[item](seen))
    return f"right: {len(answer)} things leak under TLS 1.2, and the path, headers and page stay hidden"


__all__ = ["OBSERVABLES", "check_trusts_ca", "check_eavesdropper_view"]
