"""An eavesdropper on loopback: a TCP relay that forwards and records every byte.

    with Relay(server_port) as spy:
        fetch(spy.port, ...)          # the client talks to the relay, not the server
    seen = spy.observe(secret=SECRET)

`observe` summarises what a passive listener learns (sources: what-tls-hides): over
plain HTTP the whole page; over HTTPS only record types and sizes, the server
name (SNI), the chosen version and cipher, and under TLS 1.2 the server's
certificate. It returns counts, booleans and names, never raw bytes.
"""
from __future__ import annotations

import socket
import threading
from collections import Counter
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.x509.oid import NameOID

from . import tls_records as records

HOST = "127.0.0.1"


@dataclass
class Capture:
    """The bytes of one relayed connection, in each direction."""
    to_server: bytearray = field(default_factory=bytearray)
    to_client: bytearray = field(default_factory=bytearray)
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Observation:
    """What the eavesdropper learned from one connection."""
    protocol: str                      # "plain HTTP" or "TLS"
    secret_visible: bool
    request_line: str | None           # readable only without TLS
    records_to_server: dict[str, int]  # TLS record type -> count
    records_to_client: dict[str, int]
    server_name: str | None            # SNI, in clear in the ClientHello
    version: str | None                # from the ServerHello, in clear
    cipher: str | None
    certificate_subjects: tuple[str, ...]  # certificates seen in clear (TLS 1.2 only)
    sizes_to_server: tuple[int, ...]   # lengths of the encrypted records the client sent

    @property
    def certificate_visible(self) -> bool:
        return bool(self.certificate_subjects)


class Relay:
    """A man-in-the-middle position that only listens: it forwards bytes unchanged."""

    def __init__(self, target_port: int, target_host: str = HOST):
        self.target = (target_host, target_port)
        self.captures: list[Capture] = []
        self._listener = socket.create_server((HOST, 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="eavesdrop-relay", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # listener closed by stop()
                return
            capture = Capture()
            self.captures.append(capture)
            threading.Thread(target=self._relay, args=(client, capture), daemon=True).start()

    def _relay(self, client: socket.socket, capture: Capture) -> None:
        try:
            server = socket.create_connection(self.target, timeout=10)
        except OSError:
            client.close()
            capture.done.set()
            return
        pumps = [threading.Thread(target=_pump, args=(client, server, capture.to_server), daemon=True),
                 threading.Thread(target=_pump, args=(server, client, capture.to_client), daemon=True)]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join()
        client.close()
        server.close()
        capture.done.set()

    def last_capture(self, timeout: float = 10) -> Capture:
        """The most recent connection, once both sides have closed it."""
        if not self.captures:
            raise RuntimeError("Nothing went through the relay yet.")
        capture = self.captures[-1]
        if not capture.done.wait(timeout):
            raise TimeoutError("The relayed connection did not close in time.")
        return capture

    def observe(self, secret: str, timeout: float = 10) -> Observation:
        return observe(self.last_capture(timeout), secret)

    def stop(self) -> None:
        self._listener.close()

    def __enter__(self) -> "Relay":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _pump(source: socket.socket, sink: socket.socket, record: bytearray) -> None:
    """Copy one direction until it ends, keeping a copy; pass the half-close on."""
    while True:
        try:
            data = source.recv(65536)
        except OSError:
            data = b""
        if not data:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            return
        record += data
        try:
            sink.sendall(data)
        except OSError:
            return


def observe(capture: Capture, secret: str) -> Observation:
    """Summarise a capture as a passive eavesdropper would understand it."""
    up, down = bytes(capture.to_server), bytes(capture.to_client)
    secret_visible = secret.encode() in up or secret.encode() in down
    if not up or up[0] != 22:  # a TLS connection starts with a handshake record (type 22)
        first = up.split(b"\r\n", 1)[0].decode("latin-1") if up else None
        return Observation("plain HTTP", secret_visible, first, {}, {}, None, None, None, (), ())

    up_records, down_records = records.parse_records(up), records.parse_records(down)
    sni = version = cipher = None
    subjects: list[str] = []
    for message in records.clear_handshake(up_records):
        if message.kind == "ClientHello":
            sni = records.server_name(message.body)
    for message in records.clear_handshake(down_records):
        if message.kind == "ServerHello":
            version, cipher = records.server_choice(message.body)
        elif message.kind == "Certificate":  # only ever in clear under TLS 1.2 (sources: tls13, tls12)
            subjects += [_subject(der) for der in records.certificates(message.body)]
    return Observation(
        protocol="TLS",
        secret_visible=secret_visible,
        request_line=None,
        records_to_server=dict(Counter(r.content_type for r in up_records)),
        records_to_client=dict(Counter(r.content_type for r in down_records)),
        server_name=sni,
        version=version,
        cipher=cipher,
        certificate_subjects=tuple(subjects),
        sizes_to_server=tuple(r.length for r in up_records if r.content_type == "application_data"),
    )


def _subject(der: bytes) -> str:
    cert = x509.load_der_x509_certificate(der)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()
