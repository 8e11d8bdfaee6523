"""The in-flight encryption demo: certificates, HTTPS on loopback, the eavesdropper, the man in the middle.

Real clients nobody here wrote (openssl s_client, curl) must verify the demo
server against its CA and reject the man in the middle.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import ssl
import stat
import subprocess
import sys

import pytest
from cryptography import x509

from kmslab.teach import tls, tls_records

OPENSSL = shutil.which("openssl")
CURL = shutil.which("curl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed")
needs_curl = pytest.mark.skipif(CURL is None, reason="the curl command is not installed")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with tls.start_demo(tmp_path_factory.mktemp("tls")) as running:
        yield running


def _load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


# -- certificates ---------------------------------------------------------------------------------
def test_ca_is_a_self_signed_p256_authority(demo):
    ca = tls.describe_certificate(demo.certs.ca_cert)
    assert ca["is_ca"] and ca["subject"] == ca["issuer"] == "kmslab demo CA"
    assert ca["key"] == "EC secp256r1" and ca["valid_now"]
    _load(demo.certs.ca_cert).verify_directly_issued_by(_load(demo.certs.ca_cert))


def test_server_certificate_names_localhost_and_loopback_and_chains_to_the_ca(demo):
    server = tls.describe_certificate(demo.certs.server_cert)
    assert server["san"] == ["DNS:localhost", "IP:127.0.0.1"]
    assert server["issuer"] == "kmslab demo CA" and not server["is_ca"] and server["valid_now"]
    _load(demo.certs.server_cert).verify_directly_issued_by(_load(demo.certs.ca_cert))


def test_mitm_certificate_is_for_localhost_but_from_another_ca(demo):
    mitm = tls.describe_certificate(demo.certs.mitm_cert)
    assert mitm["san"] == ["DNS:localhost", "IP:127.0.0.1"] and mitm["issuer"] == "Mallory's CA"
    with pytest.raises(ValueError):
        _load(demo.certs.mitm_cert).verify_directly_issued_by(_load(demo.certs.ca_cert))


def test_private_keys_are_readable_by_the_owner_only_and_no_temp_files_remain(demo):
    for key in (demo.certs.server_key, demo.certs.mitm_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert not [p for p in demo.certs.ca_cert.parent.iterdir() if p.name.endswith(".tmp")]


# -- the verifying client ------------------------------------------------------------------------
def test_client_verifies_and_reports_tls13_and_its_cipher(demo):
    answer = tls.fetch(demo.https.port, demo.certs.ca_cert)
    assert (answer.status, answer.version, answer.cipher) == (200, "TLSv1.3", "TLS_AES_256_GCM_SHA384")
    assert answer.server_certificate == "localhost" and answer.secret_seen


def test_client_limited_to_tls12_gets_an_ecdhe_aes_gcm_suite(demo):
    answer = tls.fetch(demo.https.port, demo.certs.ca_cert, max_version="TLSv1.2")
    assert (answer.version, answer.cipher) == ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384")


def test_wrong_host_name_is_rejected_even_with_a_trusted_ca(demo):
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        tls.fetch(demo.https.port, demo.certs.ca_cert, server_name="bank.example")
    assert "Hostname mismatch" in tls.verify_failure(caught.value)


def test_man_in_the_middle_is_rejected_by_certificate_verification(demo):
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        tls.fetch(demo.mitm.port, demo.certs.ca_cert)
    reason = "certificate verify failed: unable to get local issuer certificate"
    assert tls.verify_failure(caught.value) == reason
    assert tls.mitm_failure(demo.mitm.port, demo.certs.ca_cert) == reason
    assert tls.mitm_failure(demo.https.port, demo.certs.ca_cert) is None


def test_server_minimum_version_is_enforced(demo):
    with tls.DemoServer(cert=demo.certs.server_cert, key=demo.certs.server_key,
                        min_version="TLSv1.3") as strict:
        assert tls.fetch(strict.port, demo.certs.ca_cert).version == "TLSv1.3"
        with pytest.raises(ssl.SSLError):
            tls.fetch(strict.port, demo.certs.ca_cert, max_version="TLSv1.2")


# -- the eavesdropper -----------------------------------------------------------------------------
def test_over_plain_http_the_eavesdropper_reads_the_secret(demo):
    with tls.Relay(demo.http.port) as spy:
        assert tls.fetch_http(spy.port).secret_seen
    seen = spy.observe(tls.SECRET)
    assert seen.protocol == "plain HTTP" and seen.secret_visible
    assert seen.request_line == "GET / HTTP/1.1"


def test_over_tls13_the_eavesdropper_sees_sni_and_records_but_not_the_certificate(demo):
    with tls.Relay(demo.https.port) as spy:
        assert tls.fetch(spy.port, demo.certs.ca_cert).secret_seen  # the client still gets the page
    seen = spy.observe(tls.SECRET)
    assert seen.protocol == "TLS" and not seen.secret_visible
    assert seen.server_name == "localhost"
    assert (seen.version, seen.cipher) == ("TLSv1.3", "TLS_AES_256_GCM_SHA384")
    assert not seen.certificate_visible  # encrypted after ServerHello (sources: tls13)
    assert seen.records_to_client["application_data"] >= 2
    assert set(seen.records_to_server) <= set(tls_records.CONTENT_TYPES.values())
    # Sizes leak: the request travels as one record, + 1 content-type byte + 16-byte AEAD tag.
    assert len(tls.request()) + 17 in seen.sizes_to_server


def test_over_tls12_the_eavesdropper_also_sees_the_server_certificate(demo):
    with tls.Relay(demo.https.port) as spy:
        tls.fetch(spy.port, demo.certs.ca_cert, max_version="TLSv1.2")
    seen = spy.observe(tls.SECRET)
    assert not seen.secret_visible and seen.server_name == "localhost"
    assert seen.version == "TLSv1.2" and seen.cipher == "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
    assert seen.certificate_subjects == ("localhost",)  # sent in clear (sources: tls12)


def test_record_parser_reads_headers_and_drops_a_cut_off_record():
    data = bytes([22, 3, 1, 0, 2, 0xAA, 0xBB, 23, 3, 3, 0, 1, 0xCC, 23, 3, 3, 0, 9, 1])
    records = tls_records.parse_records(data)
    assert [(r.content_type, r.length) for r in records] == [("handshake", 2), ("application_data", 1)]


def test_client_hello_parser_finds_a_different_sni(demo):
    with tls.Relay(demo.https.port) as spy:
        with pytest.raises(ssl.SSLCertVerificationError):
            tls.fetch(spy.port, demo.certs.ca_cert, server_name="bank.example")
    assert spy.observe(tls.SECRET).server_name == "bank.example"


# -- real clients nobody here wrote ---------------------------------------------------------------
def _s_client(port: int, ca_file) -> subprocess.CompletedProcess:
    return subprocess.run([OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
                           "-CAfile", str(ca_file), "-verify_return_error"],
                          input="", capture_output=True, text=True, timeout=30)


def _curl(url: str, ca_file) -> subprocess.CompletedProcess:
    return subprocess.run([CURL, "-sS", "--noproxy", "*", "--max-time", "20", "--cacert", str(ca_file), url],
                          capture_output=True, text=True, timeout=30)


@pytest.mark.slow
@needs_openssl
def test_openssl_s_client_verifies_the_demo_server(demo):
    done = _s_client(demo.https.port, demo.certs.ca_cert)
    assert done.returncode == 0, done.stderr
    assert "Verify return code: 0 (ok)" in done.stdout


@pytest.mark.slow
@needs_openssl
def test_openssl_s_client_rejects_the_man_in_the_middle(demo):
    done = _s_client(demo.mitm.port, demo.certs.ca_cert)
    assert done.returncode != 0
    assert "unable to get local issuer certificate" in done.stdout + done.stderr


@pytest.mark.slow
@needs_curl
def test_curl_verifies_the_demo_server(demo):
    done = _curl(f"https://localhost:{demo.https.port}/", demo.certs.ca_cert)
    assert done.returncode == 0, done.stderr
    assert tls.SECRET in done.stdout


@pytest.mark.slow
@needs_curl
def test_curl_rejects_the_man_in_the_middle(demo):
    done = _curl(f"https://localhost:{demo.mitm.port}/", demo.certs.ca_cert)
    assert done.returncode == 60  # CURLE_PEER_FAILED_VERIFICATION
    assert tls.SECRET not in done.stdout


@pytest.mark.slow
@needs_curl
def test_tls_serve_cli_prints_url_and_ca_then_stops_on_ctrl_c(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "kmslab", "tls", "serve", "--dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "0"})
    try:
        url_line, ca_line = proc.stdout.readline(), proc.stdout.readline()
        url = re.search(r"https://localhost:\d+/", url_line)
        ca = re.search(r"CA certificate: (\S+)", ca_line)
        assert url and ca, (url_line, ca_line)
        assert ca.group(1) == str(tmp_path / "demo-ca.pem")
        done = _curl(url.group(0), ca.group(1))
        assert done.returncode == 0, done.stderr
        assert tls.SECRET in done.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Stopped." in out and "Traceback" not in err


# -- bounded: backlog, deadline per connection, connection cap (issue 15 §4) -------------------------------
def test_a_normal_listen_backlog(demo):
    assert demo.https.backlog >= 128            # 5 (http.server's default) queued a burst for seconds


def test_a_trickling_client_is_cut_off_at_the_deadline(demo):
    """A client that sends one byte at a time never trips a per-read timeout; the overall deadline
    per connection ends it. (Small deadline; the server's own counter says why it closed.)"""
    import socket
    import time

    with tls.DemoServer(deadline=0.5) as server:            # plain HTTP: the same code path without TLS
        with socket.create_connection((tls.HOST, server.port), timeout=30) as conn:
            request = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 60_000  # never ends
            closed_by_server = False
            for byte in request:                            # far longer than the deadline allows
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    closed_by_server = True
                    break
                time.sleep(0.01)
                conn.setblocking(False)
                try:
                    if conn.recv(1) == b"":
                        closed_by_server = True
                        break
                except BlockingIOError:
                    pass
                except OSError:
                    closed_by_server = True
                    break
                finally:
                    conn.setblocking(True)
        assert closed_by_server
        assert server.stats()["cut_at_deadline"] == 1


def test_a_burst_of_connections_all_complete_within_the_cap(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    certs = tls.make_demo_certs(tmp_path)
    with tls.DemoServer(cert=certs.server_cert, key=certs.server_key, max_connections=8) as server:
        with ThreadPoolExecutor(max_workers=50) as pool:
            answers = list(pool.map(lambda _: tls.fetch(server.port, certs.ca_cert), range(200)))
        stats = server.stats()
    assert [a.status for a in answers] == [200] * 200
    assert stats["served"] == 200
    assert 1 <= stats["peak_connections"] <= 8             # never more at once than the cap
