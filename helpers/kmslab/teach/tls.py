"""Encryption in flight, for real, on loopback: HTTPS servers, a verifying client, a man in the middle.

    from kmslab.teach import tls
    demo = tls.start_demo(folder)            # CA + certificates in `folder`, three servers
    answer = tls.fetch(demo.https.port, demo.certs.ca_cert)
    answer.version, answer.cipher            # e.g. 'TLSv1.3', 'TLS_AES_256_GCM_SHA384'
    tls.fetch(demo.mitm.port, demo.certs.ca_cert)   # raises ssl.SSLCertVerificationError

Everything listens on 127.0.0.1 only. `python -m kmslab tls serve` runs the
demo HTTPS server for real clients (curl, openssl s_client, a browser).
"""
from __future__ import annotations

import os
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .eavesdrop import Observation, Relay, observe  # noqa: F401  (re-exported for lessons)
from .tls_certs import CertFiles, describe_certificate, make_demo_certs  # noqa: F401

HOST = "127.0.0.1"
SERVER_NAME = "localhost"
SECRET = "card number 4111 1111 1111 1111"
PAGE = f"<html><body><h1>Your account</h1><p>{SECRET}</p></body></html>\n"
# TLS 1.2 suites the server offers: ECDHE (forward secrecy) + AES-GCM only, strongest first,
# so the negotiated cipher does not depend on the client's preferences (sources: tls-for-aws-apis, tls12).
TLS12_CIPHERS = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256"
VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


class _PageHandler(BaseHTTPRequestHandler):
    server_version = "kmslab-demo"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # keep notebooks and terminals quiet
        pass


#: Limits of the demo server. A per-read timeout alone lets a client that trickles one byte
#: at a time hold a thread for ever; the deadline bounds a whole connection (handshake,
#: request and answer), and the cap bounds the threads. Connections over the cap wait in
#: the listen backlog until a slot frees.
BACKLOG = min(socket.SOMAXCONN, 1024)      # http.server's default of 5 stalls a burst for seconds
DEADLINE_SECONDS = 10.0
MAX_CONNECTIONS = 64


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = BACKLOG

    def __init__(self, port: int, context: ssl.SSLContext | None, deadline: float = DEADLINE_SECONDS,
                 max_connections: int = MAX_CONNECTIONS):
        self.context, self.deadline = context, deadline
        self._slots = threading.BoundedSemaphore(max_connections)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._stats = {"served": 0, "cut_at_deadline": 0, "open": 0, "peak_connections": 0}
        super().__init__((HOST, port), _PageHandler)

    def process_request(self, request, client_address) -> None:
        # Wait for a free slot (the next connections queue in the backlog meanwhile).
        while not self._slots.acquire(timeout=0.1):
            if self._stopping.is_set():
                self.shutdown_request(request)
                return
        self._count("open", peak=True)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def finish_request(self, request, client_address) -> None:
        # One timer per connection: at the deadline the socket is shut down, which ends any
        # read or write in progress, however slowly the client sends.
        cut = threading.Event()

        def at_deadline() -> None:
            cut.set()
            try:
                request.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        timer = threading.Timer(self.deadline, at_deadline)
        timer.daemon = True
        timer.start()
        try:
            request.settimeout(self.deadline)
            self._serve(request, client_address)
        finally:
            timer.cancel()
            self._count("cut_at_deadline" if cut.is_set() else "served")

    def _serve(self, request, client_address) -> None:
        if self.context is None:
            return super().finish_request(request, client_address)
        # The TLS handshake runs in the connection's own thread, so a client that
        # rejects our certificate (or stalls) never blocks other connections.
        with self.context.wrap_socket(request, server_side=True) as tls_socket:
            super().finish_request(tls_socket, client_address)
            try:
                tls_socket.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def _count(self, name: str, peak: bool = False) -> None:
        with self._lock:
            self._stats[name] += 1
            if peak:
                self._stats["peak_connections"] = max(self._stats["peak_connections"], self._stats["open"])

    def _release(self) -> None:
        with self._lock:
            self._stats["open"] -= 1
        self._slots.release()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self._stats)

    def handle_error(self, request, client_address) -> None:
        pass  # a rejected handshake is part of the lesson, not a server error

    def shutdown(self) -> None:
        self._stopping.set()
        super().shutdown()


class DemoServer:
    """An HTTP or HTTPS server on 127.0.0.1 in a background thread."""

    def __init__(self, port: int = 0, cert: Path | None = None, key: Path | None = None,
                 min_version: str = "TLSv1.2", max_version: str = "TLSv1.3", *,
                 deadline: float = DEADLINE_SECONDS, max_connections: int = MAX_CONNECTIONS):
        context = server_context(cert, key, min_version, max_version) if cert else None
        self.scheme = "https" if context else "http"
        self._server = _Server(port, context, deadline, max_connections)
        self.port = self._server.server_address[1]
        self.backlog = self._server.request_queue_size
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"demo-{self.scheme}", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://{SERVER_NAME}:{self.port}/"

    def stats(self) -> dict[str, int]:
        """Connections served, cut at the deadline, open now, and the most open at once."""
        return self._server.stats()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> "DemoServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def server_context(cert: Path, key: Path, min_version: str = "TLSv1.2",
                   max_version: str = "TLSv1.3") -> ssl.SSLContext:
    """A server TLS configuration whose choices do not depend on the client."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.minimum_version = VERSIONS[min_version]
    context.maximum_version = VERSIONS[max_version]
    context.set_ciphers(TLS12_CIPHERS)
    # The server's order wins, so the cipher printed in a lesson is stable; for TLS 1.3
    # OpenSSL's default order puts TLS_AES_256_GCM_SHA384 first.
    context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    # No session tickets (TLS 1.2 and 1.3): fewer records for the eavesdropper to explain.
    context.options |= ssl.OP_NO_TICKET
    context.num_tickets = 0
    return context


@dataclass(frozen=True)
class Answer:
    """What a client got back, as short stable values."""
    status: int
    version: str | None       # negotiated TLS version (None over plain HTTP)
    cipher: str | None
    server_certificate: str | None  # subject CN of the verified certificate
    secret_seen: bool


def client_context(ca_file: str | os.PathLike, max_version: str | None = None) -> ssl.SSLContext:
    """A client that trusts only our CA and checks the host name, like any HTTPS client."""
    context = ssl.create_default_context(cafile=str(ca_file))
    if max_version:
        context.maximum_version = VERSIONS[max_version]
    return context


def fetch(port: int, ca_file: str | os.PathLike, max_version: str | None = None,
          server_name: str = SERVER_NAME) -> Answer:
    """GET / over HTTPS from 127.0.0.1:`port`, verifying the certificate for `server_name`.

    Raises ssl.SSLCertVerificationError when the certificate does not chain to `ca_file`.
    """
    context = client_context(ca_file, max_version)
    with socket.create_connection((HOST, port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as conn:
            version, cipher = conn.version(), conn.cipher()[0]
            subject = dict(pair[0] for pair in conn.getpeercert()["subject"]).get("commonName")
            response = _exchange(conn, server_name)
    return Answer(_status(response), version, cipher, subject, SECRET.encode() in response)


def fetch_http(port: int) -> Answer:
    """GET / over plain HTTP from 127.0.0.1:`port`."""
    with socket.create_connection((HOST, port), timeout=10) as conn:
        response = _exchange(conn, SERVER_NAME)
    return Answer(_status(response), None, None, None, SECRET.encode() in response)


def request(host: str = SERVER_NAME) -> bytes:
    """The exact HTTP request the demo clients send."""
    return f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()


def _exchange(conn: socket.socket, host: str) -> bytes:
    conn.sendall(request(host))
    chunks = []
    while True:
        data = conn.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def _status(response: bytes) -> int:
    parts = response.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def verify_failure(error: ssl.SSLCertVerificationError) -> str:
    """The short, stable reason, e.g. 'certificate verify failed: unable to get local issuer certificate'."""
    return f"certificate verify failed: {error.verify_message}"


def mitm_failure(port: int, ca_file: str | os.PathLike) -> str | None:
    """Try the man in the middle with a verifying client; the reason it was rejected (None if not)."""
    try:
        fetch(port, ca_file)
    except ssl.SSLCertVerificationError as error:
        return verify_failure(error)
    return None


@dataclass
class Demo:
    """Certificates and the three servers of lesson 01."""
    certs: CertFiles
    https: DemoServer   # the real site: certificate from our CA, TLS 1.2 or 1.3
    http: DemoServer    # the same page without TLS
    mitm: DemoServer    # an impostor: a localhost certificate from another CA

    def stop(self) -> None:
        for server in (self.https, self.http, self.mitm):
            server.stop()

    def __enter__(self) -> "Demo":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_demo(directory: str | os.PathLike) -> Demo:
    """Make the certificates in `directory` and start the three servers on free ports."""
    certs = make_demo_certs(directory)
    return Demo(certs=certs,
                https=DemoServer(cert=certs.server_cert, key=certs.server_key),
                http=DemoServer(),
                mitm=DemoServer(cert=certs.mitm_cert, key=certs.mitm_key))


def serve_cli(port: int = 0, directory: str | None = None) -> int:
    """`python -m kmslab tls serve`: the demo HTTPS server until Ctrl-C (the command line makes
    sure Ctrl-C and kill reach it)."""
    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="kmslab-tls-"))
    certs = make_demo_certs(folder)
    server = DemoServer(port=port, cert=certs.server_cert, key=certs.server_key)
    print(f"Demo HTTPS server: {server.url}", flush=True)
    print(f"CA certificate: {certs.ca_cert}", flush=True)
    print(f"Try: curl --cacert {certs.ca_cert} {server.url}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("Stopped.", flush=True)
    return 0
