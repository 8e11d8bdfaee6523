"""Lab 01 checks: the right answer passes, and each typical wrong answer gets its own feedback."""
from __future__ import annotations

import ssl

import pytest

from kmslab.teach import tls
from kmslab.teach.checks import OK, TODO, WRONG
from kmslab.teach.lab_checks.lab01_three_kinds import (OBSERVABLES, check_eavesdropper_view,
                                                        check_trusts_ca)

RIGHT_TLS12 = {"server name", "tls version", "cipher suite", "record sizes", "ip addresses and ports",
               "server certificate"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with tls.start_demo(tmp_path_factory.mktemp("lab01")) as running:
        yield running


@pytest.fixture(scope="module")
def seen12(demo):
    with tls.Relay(demo.https.port) as spy:
        tls.fetch(spy.port, demo.certs.ca_cert, max_version="TLSv1.2")
    return spy.observe(tls.SECRET)


def test_trusting_the_lab_ca_passes(demo):
    fb = check_trusts_ca(demo, ssl.create_default_context(cafile=demo.certs.ca_cert))
    assert fb.status == OK, fb.text


def test_trust_todo(demo):
    assert check_trusts_ca(demo, ...).status == TODO
    assert "not done yet" in check_trusts_ca(demo, ...).text


def _no_verification(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _no_hostname(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    return ctx


def _both_cas(demo):
    ctx = ssl.create_default_context(cafile=demo.certs.ca_cert)
    ctx.load_verify_locations(cafile=demo.certs.attacker_ca_cert)
    return ctx


@pytest.mark.parametrize("build, part, words", [
    (lambda d: str(d.certs.ca_cert), "context", "not an ssl.SSLContext"),
    (lambda d: _no_verification(d.certs.ca_cert), "certificate verification", "CERT_NONE"),
    (lambda d: _no_hostname(d.certs.ca_cert), "host name check", "check_hostname is False"),
    (lambda d: ssl.create_default_context(), "trust store", "demo.certs.ca_cert"),
    (lambda d: ssl.create_default_context(cafile=d.certs.attacker_ca_cert), "trust store", "rejected"),
    (_both_cas, "man in the middle", "Mallory"),
], ids=["a path", "CERT_NONE", "no hostname", "system CAs", "attacker CA", "both CAs"])
def test_trust_wrong_answers(demo, build, part, words):
    fb = check_trusts_ca(demo, build(demo))
    assert fb.status == WRONG and fb.part == part and words in fb.message, fb.text
    assert fb.hint and "lesson 01" in fb.hint and "Traceback" not in fb.text


def test_eavesdropper_right_answer(seen12):
    fb = check_eavesdropper_view(seen12, set(RIGHT_TLS12))
    assert fb.status == OK, fb.text
    assert check_eavesdropper_view(seen12, [s.upper() for s in RIGHT_TLS12]).status == OK  # case-insensitive


def test_eavesdropper_todo(seen12):
    assert check_eavesdropper_view(..., ...).status == TODO
    assert check_eavesdropper_view(seen12, ...).status == TODO


@pytest.mark.parametrize("answer, part, words", [
    (RIGHT_TLS12 | {"url path"}, "url path", "SNI"),
    (RIGHT_TLS12 | {"the secret"}, "the secret", "secret_visible is False"),
    (RIGHT_TLS12 | {"page content"}, "page content", "encrypted"),
    (RIGHT_TLS12 - {"server name"}, "server name", "'localhost'"),
    (RIGHT_TLS12 - {"server certificate"}, "server certificate", "TLS 1.2"),
    (RIGHT_TLS12 - {"record sizes"}, "record sizes", "sizes_to_server"),
    (RIGHT_TLS12 | {"the password"}, "visible", "not among the choices"),
    ("server name", "visible", "a set of strings"),  # a bare string is refused, not split into letters
])
def test_eavesdropper_wrong_answers(seen12, answer, part, words):
    fb = check_eavesdropper_view(seen12, answer)
    assert fb.status == WRONG and fb.part == part and words in fb.message, fb.text


def test_eavesdropper_wrong_capture(demo):
    with tls.Relay(demo.https.port) as spy:
        tls.fetch(spy.port, demo.certs.ca_cert)          # TLS 1.3: not what the task asks
    fb = check_eavesdropper_view(spy.observe(tls.SECRET), RIGHT_TLS12)
    assert fb.status == WRONG and fb.part == "seen" and "TLSv1.3" in fb.message
    with tls.Relay(demo.http.port) as spy:
        tls.fetch_http(spy.port)
    fb = check_eavesdropper_view(spy.observe(tls.SECRET), RIGHT_TLS12)
    assert fb.status == WRONG and fb.part == "seen" and "plain HTTP" in fb.message
    fb = check_eavesdropper_view("TLS", RIGHT_TLS12)
    assert fb.status == WRONG and fb.part == "seen"


def test_choices_cover_the_truth():
    assert set(RIGHT_TLS12) < set(OBSERVABLES)


def _optional(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx


@pytest.mark.parametrize("build, part, words", [
    (lambda d: ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), "context", "server-side context"),
    (lambda d: ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=d.certs.ca_cert), "context",
     "server-side context"),
    (lambda d: _optional(d.certs.ca_cert), "certificate verification", "CERT_REQUIRED"),
    (lambda d: ssl.create_default_context(cafile=d.certs.server_cert), "trust store", "demo.certs.ca_cert"),
    (lambda d: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), "trust store", "demo.certs.ca_cert"),
], ids=["server context", "Purpose.CLIENT_AUTH", "CERT_OPTIONAL", "server cert as CA", "no CA loaded"])
def test_trust_more_wrong_answers(demo, build, part, words):
    fb = check_trusts_ca(demo, build(demo))
    assert fb.status == WRONG and fb.part == part and words in fb.message, fb.text


def test_trust_a_client_context_built_by_hand_passes(demo):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(demo.certs.ca_cert)
    assert check_trusts_ca(demo, ctx).status == OK


@pytest.mark.parametrize("answer, words", [
    ((RIGHT_TLS12 - {"server name"}) | {"SNI"}, "you mean 'server name'"),
    ((RIGHT_TLS12 - {"server certificate"}) | {"certificate"}, "you mean 'server certificate'"),
    ((RIGHT_TLS12 - {"ip addresses and ports"}) | {"IP addresses"}, "you mean 'ip addresses and ports'"),
])
def test_eavesdropper_synonyms_name_the_choice(seen12, answer, words):
    fb = check_eavesdropper_view(seen12, answer)
    assert fb.status == WRONG and fb.part == "visible" and words in fb.message, fb.text


def test_eavesdropper_client_answer_instead_of_capture(demo):
    answer = tls.fetch(demo.https.port, demo.certs.ca_cert, max_version="TLSv1.2")
    fb = check_eavesdropper_view(answer, RIGHT_TLS12)
    assert fb.status == WRONG and fb.part == "seen" and "spy.observe" in fb.message and "client" in fb.message
