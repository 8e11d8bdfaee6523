"""A small reader for the TLS bytes an eavesdropper captures (RFC 8446 / RFC 5246).

It reads only what travels in clear: the 5-byte record headers, and the
handshake messages sent before ChangeCipherSpec (ClientHello, ServerHello and,
under TLS 1.2, the server's Certificate). Everything else is ciphertext and
is only counted and measured, never shown.

Record header (RFC 8446 §5.1):  type(1) legacy_version(2) length(2), then `length` bytes.
Handshake message (§4):         msg_type(1) length(3), then `length` bytes.
"""
from __future__ import annotations

from dataclasses import dataclass

CONTENT_TYPES = {20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data"}
HANDSHAKE_TYPES = {1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket", 8: "EncryptedExtensions",
                   11: "Certificate", 12: "ServerKeyExchange", 13: "CertificateRequest",
                   14: "ServerHelloDone", 15: "CertificateVerify", 16: "ClientKeyExchange",
                   20: "Finished"}
VERSIONS = {0x0301: "TLSv1", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}
# IANA names of the suites this demo can negotiate (others are shown in hex).
CIPHER_SUITES = {
    0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
}
EXT_SERVER_NAME = 0           # RFC 6066 §3
EXT_SUPPORTED_VERSIONS = 43   # RFC 8446 §4.2.1: the real version in TLS 1.3


@dataclass(frozen=True)
class Record:
    content_type: str
    length: int
    payload: bytes


@dataclass(frozen=True)
class HandshakeMessage:
    kind: str
    body: bytes


def parse_records(data: bytes) -> list[Record]:
    """Split a captured byte stream into TLS records (a cut-off last record is dropped)."""
    records, at = [], 0
    while at + 5 <= len(data):
        kind, length = data[at], int.from_bytes(data[at + 3:at + 5], "big")
        if at + 5 + length > len(data):
            break
        records.append(Record(CONTENT_TYPES.get(kind, f"unknown({kind})"), length,
                              data[at + 5:at + 5 + length]))
        at += 5 + length
    return records


def clear_handshake(records: list[Record]) -> list[HandshakeMessage]:
    """Handshake messages sent before ChangeCipherSpec: after it, a direction is encrypted.

    (TLS 1.3 sends a ChangeCipherSpec only for middlebox compatibility; its
    later handshake messages travel as encrypted application_data records.)
    """
    stream = b""
    for record in records:
        if record.content_type == "change_cipher_spec":
            break
        if record.content_type == "handshake":
            stream += record.payload  # one message may span records, or one record hold several
    messages, at = [], 0
    while at + 4 <= len(stream):
        kind, length = stream[at], int.from_bytes(stream[at + 1:at + 4], "big")
        if at + 4 + length > len(stream):
            break
        messages.append(HandshakeMessage(HANDSHAKE_TYPES.get(kind, f"type{kind}"),
                                         stream[at + 4:at + 4 + length]))
        at += 4 + length
    return messages


def _hello_extensions(body: bytes, client: bool) -> dict[int, bytes]:
    """The extensions block of a ClientHello or ServerHello body."""
    at = 2 + 32                                   # legacy_version, random
    at += 1 + body[at]                            # legacy_session_id
    if client:
        at += 2 + int.from_bytes(body[at:at + 2], "big")   # cipher_suites
        at += 1 + body[at]                                  # compression methods
    else:
        at += 2 + 1                                         # cipher_suite, compression
    extensions, end = {}, at + 2 + int.from_bytes(body[at:at + 2], "big")
    at += 2
    while at + 4 <= end:
        kind, length = int.from_bytes(body[at:at + 2], "big"), int.from_bytes(body[at + 2:at + 4], "big")
        extensions[kind] = body[at + 4:at + 4 + length]
        at += 4 + length
    return extensions


def server_name(client_hello: bytes) -> str | None:
    """The SNI host name a ClientHello carries in clear (RFC 6066 §3), if any."""
    data = _hello_extensions(client_hello, client=True).get(EXT_SERVER_NAME)
    if not data:
        return None
    # server_name_list: length(2), then entries of name_type(1) length(2) name
    if data[2] != 0:  # 0 = host_name
        return None
    length = int.from_bytes(data[3:5], "big")
    return data[5:5 + length].decode("ascii")


def server_choice(server_hello: bytes) -> tuple[str, str]:
    """(version, cipher suite) that the server picked, as the eavesdropper reads them."""
    version = int.from_bytes(server_hello[0:2], "big")
    at = 2 + 32
    at += 1 + server_hello[at]
    suite = int.from_bytes(server_hello[at:at + 2], "big")
    chosen = _hello_extensions(server_hello, client=False).get(EXT_SUPPORTED_VERSIONS)
    if chosen:  # TLS 1.3 keeps legacy_version at 1.2 and says 1.3 here
        version = int.from_bytes(chosen[:2], "big")
    return VERSIONS.get(version, hex(version)), CIPHER_SUITES.get(suite, f"0x{suite:04X}")


def certificates(certificate_message: bytes) -> list[bytes]:
    """DER certificates in a TLS 1.2 Certificate message (RFC 5246 §7.4.2)."""
    found, at = [], 3                              # certificate_list length(3)
    while at + 3 <= len(certificate_message):
        length = int.from_bytes(certificate_message[at:at + 3], "big")
        found.append(certificate_message[at + 3:at + 3 + length])
        at += 3 + length
    return found
