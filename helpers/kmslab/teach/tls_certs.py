"""Certificates for the in-flight encryption demo, made with `cryptography`.

- a private certificate authority (CA) the learner's client trusts;
- a server certificate for localhost and 127.0.0.1, signed by that CA;
- a "man in the middle" certificate, also for localhost, but signed by a
  different (attacker) CA that the client does not trust.

Keys are ECDSA P-256: fast to make and accepted by every TLS client.
Validity comes from real wall time (time.time), never from the sandbox's
frozen clock: TLS clients check dates against the real time (sources: certificate-verification).
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = "kmslab demo CA"
ATTACKER_CA_NAME = "Mallory's CA"
SERVER_NAME = "localhost"
SERVER_IP = "127.0.0.1"
CA_DAYS = 365
SERVER_DAYS = 30


@dataclass(frozen=True)
class CertFiles:
    """Where the PEM files are. The *_key files are private keys."""
    ca_cert: Path
    server_cert: Path
    server_key: Path
    attacker_ca_cert: Path
    mitm_cert: Path
    mitm_key: Path


def make_demo_certs(directory: str | os.PathLike) -> CertFiles:
    """Make both CAs and both localhost certificates; write them as PEM into `directory`."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _make_ca(CA_NAME)
    server_key, server_cert = _make_leaf(ca_key, ca_cert)
    evil_key, evil_ca = _make_ca(ATTACKER_CA_NAME)
    mitm_key, mitm_cert = _make_leaf(evil_key, evil_ca)
    files = CertFiles(
        ca_cert=folder / "demo-ca.pem",
        server_cert=folder / "server-cert.pem",
        server_key=folder / "server-key.pem",
        attacker_ca_cert=folder / "attacker-ca.pem",
        mitm_cert=folder / "mitm-cert.pem",
        mitm_key=folder / "mitm-key.pem",
    )
    _write(files.ca_cert, _cert_pem(ca_cert))
    _write(files.server_cert, _cert_pem(server_cert))
    _write(files.server_key, _key_pem(server_key), private=True)
    _write(files.attacker_ca_cert, _cert_pem(evil_ca))
    _write(files.mitm_cert, _cert_pem(mitm_cert))
    _write(files.mitm_key, _key_pem(mitm_key), private=True)
    return files


def describe_certificate(path: str | os.PathLike) -> dict:
    """What a certificate says, as short stable values (no serials, dates or key bytes)."""
    cert = x509.load_pem_x509_certificate(Path(path).read_bytes())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [f"DNS:{n}" for n in san.get_values_for_type(x509.DNSName)]
        names += [f"IP:{ip}" for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    key = cert.public_key()
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    return {
        "subject": _common_name(cert.subject),
        "issuer": _common_name(cert.issuer),
        "is_ca": basic.ca,
        "san": names,
        "key": f"EC {key.curve.name}" if isinstance(key, ec.EllipticCurvePublicKey) else type(key).__name__,
        "valid_days": round(lifetime.total_seconds() / 86400),
        "valid_now": cert.not_valid_before_utc <= _now() <= cert.not_valid_after_utc,
    }


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _now() -> _dt.datetime:
    # Real wall time: the sandbox clock may be frozen in 2026 and TLS checks real dates.
    return _dt.datetime.fromtimestamp(time.time(), _dt.timezone.utc)


def _make_ca(common_name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(hours=1))  # small margin for clock skew
        .not_valid_after(now + _dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _make_leaf(ca_key, ca_cert):
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(hours=1))
        .not_valid_after(now + _dt.timedelta(days=SERVER_DAYS))
        # Clients match the host name against the SAN, not the CN (RFC 6125, sources: certificate-verification).
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName(SERVER_NAME), x509.IPAddress(ipaddress.ip_address(SERVER_IP))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path: Path, data: bytes, private: bool = False) -> None:
    """Write atomically: readers see the old file or the whole new one, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if not private and hasattr(os, "fchmod"):
            os.fchmod(fd, 0o644)  # mkstemp makes 0600; certificates are public
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
