"""The sandbox's modes and guards."""
from __future__ import annotations

import os
import socket

import boto3
import pytest

from kmslab import clock, guards, sandbox


def test_inprocess_key_and_hello(fresh_sb):
    kms = fresh_sb.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"hello")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hello"


def test_ids_and_dates_repeat_across_runs():
    seen = []
    for _ in range(2):
        with sandbox.start() as box:
            meta = box.client("kms").create_key()["KeyMetadata"]
            seen.append((meta["KeyId"], meta["CreationDate"].isoformat()))
    assert seen[0] == seen[1]
    assert seen[0][1].startswith(clock.DEFAULT_START.isoformat())


def test_reset_starts_over_with_the_same_seed(fresh_sb):
    sb = fresh_sb
    kms = sb.client("kms")
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    sb.clock.advance(3600)
    sb.reset()
    assert kms.create_key()["KeyMetadata"]["KeyId"] == first
    assert len(kms.list_keys()["Keys"]) == 1
    assert sb.clock.now() == clock.DEFAULT_START


def test_real_looking_credentials_are_never_used(tmp_path, monkeypatch):
    """Real-looking keys in the environment and in ~/.aws must not reach any client."""
    aws = tmp_path / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAREALLOOKING000001\n"
        "aws_secret_access_key = realLookingSecretKeyFromTheHomeFolder0000\n")
    (aws / "config").write_text("[default]\nregion = eu-west-3\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("AWS_SHARED_CREDENTIALS_FILE", raising=False)
    monkeypatch.delenv("AWS_CONFIG_FILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKING000002")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "anotherRealLookingSecret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    monkeypatch.setenv("AWS_PROFILE", "default")
    with sandbox.start() as box:
        for session in (boto3.Session(), box.session()):
            creds = session.get_credentials().get_frozen_credentials()
            # moto's mock_aws also sets its own fake key (FOOBARKEY) while it runs
            assert creds.access_key in {guards.FAKE_ACCESS_KEY, "FOOBARKEY"}
            assert creds.token is None
            assert session.region_name == "us-east-1"
        identity = box.client("sts").get_caller_identity()
        assert identity["Account"] == sandbox.DEFAULT_ACCOUNT
    # and everything comes back when the sandbox stops
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAREALLOOKING000002"
    assert os.environ["AWS_PROFILE"] == "default"


def test_only_loopback_is_reachable(fresh_sb):
    s = socket.socket()
    try:
        # 192.0.2.1 is TEST-NET-1 (RFC 5737): the guard refuses before any packet is sent.
        with pytest.raises(guards.RealNetworkBlocked, match="only loopback"):
            s.connect(("192.0.2.1", 443))
    finally:
        s.close()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.socket()
    try:
        client.connect(listener.getsockname())
    finally:
        client.close()
        listener.close()


def test_guard_is_removed_on_stop():
    before = socket.socket.connect
    box = sandbox.start()
    assert socket.socket.connect is not before
    box.stop()
    assert socket.socket.connect is before


def test_unknown_mode_is_explained():
    with pytest.raises(sandbox.SandboxError, match="choose one of inprocess, endpoint, aws"):
        sandbox.start("cloud")


def test_real_aws_needs_the_switch(monkeypatch):
    monkeypatch.delenv(sandbox.REAL_AWS_SWITCH, raising=False)
    with pytest.raises(sandbox.SandboxError, match=sandbox.REAL_AWS_SWITCH):
        sandbox.start("aws")


def test_real_aws_needs_a_typed_confirmation(monkeypatch):
    monkeypatch.setenv(sandbox.REAL_AWS_SWITCH, "1")
    monkeypatch.setattr(sandbox, "_caller_account", lambda region: "111122223333")
    prompts = []
    with pytest.raises(sandbox.SandboxError, match="Not confirmed"):
        sandbox.start("aws", confirm=lambda text: prompts.append(text) or "yes")
    assert "111122223333" in prompts[0] and "created-by=kmslab" in prompts[0]
    box = sandbox.start("aws", confirm=lambda text: "111122223333")
    assert box.mode == "aws" and box.account_id == "111122223333"
    with pytest.raises(sandbox.SandboxError):
        box.reset()


def test_endpoint_mode_serves_plain_clients():
    with sandbox.start("endpoint") as box:
        assert box.endpoint_url.startswith("http://127.0.0.1:")
        plain = boto3.client("kms", endpoint_url=box.endpoint_url, region_name="us-east-1",
                             aws_access_key_id="anything", aws_secret_access_key="anything")
        key_id = plain.create_key()["KeyMetadata"]["KeyId"]
        assert box.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
        box.reset()
        assert plain.list_keys()["Keys"] == []


def test_endpoint_must_be_loopback():
    with pytest.raises(sandbox.SandboxError, match="not on loopback"):
        sandbox.start("endpoint", endpoint_url="http://192.0.2.1:5000")


def test_clock_freezes_and_advances():
    c = clock.Clock()
    t0 = c.now()
    c.advance(90)
    assert (c.now() - t0).total_seconds() == 90
    c.sleep(10)
    assert (c.now() - t0).total_seconds() == 100
    with pytest.raises(ValueError, match="only moves forward"):
        c.advance(-1)
    c.run()
    assert not c.frozen and c.now() >= t0


def test_real_aws_mode_tags_what_lessons_create(monkeypatch):
    """In a real account, CreateKey and friends carry created-by=kmslab (checked with
    botocore's Stubber, so nothing is sent anywhere)."""
    from botocore.stub import Stubber

    monkeypatch.setenv(sandbox.REAL_AWS_SWITCH, "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEONLY")      # never sent: Stubber answers
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example")
    monkeypatch.setattr(sandbox, "_caller_account", lambda region: "111122223333")
    box = sandbox.start("aws", confirm=lambda text: "111122223333")
    kms = box.client("kms")
    with Stubber(kms) as stub:
        stub.add_response("create_key", {"KeyMetadata": {"KeyId": "k"}}, {
            "Description": "lesson", "Tags": [{"TagKey": "created-by", "TagValue": "kmslab"}]})
        stub.add_response("create_key", {"KeyMetadata": {"KeyId": "k"}}, {
            "Tags": [{"TagKey": "team", "TagValue": "a"},
                     {"TagKey": "created-by", "TagValue": "kmslab"}]})
        kms.create_key(Description="lesson")
        kms.create_key(Tags=[{"TagKey": "team", "TagValue": "a"}])
        stub.assert_no_pending_responses()
    with sandbox.start() as mock:  # the mock sandbox adds nothing
        key = mock.client("kms").create_key()["KeyMetadata"]["KeyId"]
        assert mock.client("kms").list_resource_tags(KeyId=key)["Tags"] == []


# -- guard gaps (issue 15 §2) -------------------------------------------------------------------------
def test_udp_and_the_c_level_socket_cannot_reach_other_hosts(fresh_sb):
    import _socket

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(guards.RealNetworkBlocked):
            udp.sendto(b"x", ("192.0.2.1", 53))          # TEST-NET-1: never sent
        udp.sendto(b"x", ("127.0.0.1", 9))                 # loopback is fine
    finally:
        udp.close()
    tcp = socket.socket()
    try:
        with pytest.raises(guards.RealNetworkBlocked):
            _socket.socket.connect(tcp, ("192.0.2.1", 443))
        with pytest.raises(guards.RealNetworkBlocked):
            _socket.socket.connect_ex(tcp, ("192.0.2.1", 443))
    finally:
        tcp.close()


def test_no_dns_lookups_of_other_hosts(fresh_sb):
    with pytest.raises(guards.RealNetworkBlocked, match="kms.us-east-1.api.aws"):
        socket.getaddrinfo("kms.us-east-1.api.aws", 443)
    with pytest.raises(guards.RealNetworkBlocked):
        socket.gethostbyname("example.com")
    assert socket.getaddrinfo("127.0.0.1", 443)           # numeric loopback needs no resolver
    assert socket.getaddrinfo("localhost", 443)


@pytest.mark.parametrize("name, value", [
    ("AWS_ENDPOINT_URL_KMS", "http://192.0.2.1:4566"),
    ("AWS_ENDPOINT_URL_STS", "http://192.0.2.1:4566"),
    ("AWS_ENDPOINT_URL", "http://192.0.2.1:4566"),
    ("AWS_USE_DUALSTACK_ENDPOINT", "true"),
    ("AWS_USE_FIPS_ENDPOINT", "true"),
    ("HTTPS_PROXY", "http://192.0.2.1:3128"),
    ("https_proxy", "http://127.0.0.1:3128"),      # a local proxy would carry requests out
    ("HTTP_PROXY", "http://127.0.0.1:3128"),
    ("ALL_PROXY", "http://127.0.0.1:3128"),
    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
])
@pytest.mark.parametrize("mode", ["inprocess", "endpoint"])
def test_environment_that_would_send_requests_elsewhere_is_cleared(monkeypatch, name, value, mode):
    monkeypatch.setenv(name, value)
    with sandbox.start(mode) as box:
        assert os.environ.get(name) != value
        kms = boto3.client("kms")                            # a plain client, as a learner writes it
        kms.list_keys()
        box.client("kms").list_keys()
        if mode == "endpoint":   # child processes (the AWS CLI) are pointed at the sandbox
            assert os.environ["AWS_ENDPOINT_URL"] == box.endpoint_url
    assert os.environ[name] == value


def test_fips_and_dual_stack_clients_get_a_clear_error(fresh_sb):
    from botocore.config import Config

    for config in (Config(use_fips_endpoint=True), Config(use_dualstack_endpoint=True)):
        with pytest.raises(sandbox.SandboxError, match="FIPS and dual-stack"):
            fresh_sb.client("kms", config=config)


@pytest.fixture
def refuse_connections(monkeypatch):
    """Call it to refuse, and record, every name lookup and outgoing connection from then on."""
    seen = []

    def refuse(sock, address):
        seen.append(("connect", address))
        raise ConnectionRefusedError(f"test guard: no connection expected, got {address}")

    def refuse_lookup(host, *args, **kwargs):
        seen.append(("lookup", host))
        raise socket.gaierror(f"test guard: no name lookup expected, got {host}")

    def install():
        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket.socket, "connect_ex", refuse)
        monkeypatch.setattr(socket, "getaddrinfo", refuse_lookup)
        return seen

    return install


@pytest.mark.parametrize("mode", ["inprocess", "endpoint"])
def test_a_stopped_sandbox_sends_nothing(mode, refuse_connections):
    """After stop(), the mock and the network guard are gone: a client made before must not
    fall through to https://kms.us-east-1.amazonaws.com/ (issue 11, point 4)."""
    box = sandbox.start(mode)
    kms, s3 = box.client("kms"), box.session().client("s3")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    box.stop()
    attempts = refuse_connections()
    calls = [lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"), lambda: kms.list_keys(),
             lambda: s3.list_buckets(), lambda: box.client("kms").list_keys(),
             lambda: next(iter(kms.get_paginator("list_keys").paginate()))]
    for call in calls:
        with pytest.raises(sandbox.SandboxStopped, match="this sandbox is stopped: run the setup cell again"):
            call()
    assert attempts == []
    assert isinstance(sandbox.SandboxStopped("x"), sandbox.SandboxError)


def test_a_sandbox_started_again_works_after_the_old_one_stopped():
    old = sandbox.start()
    old_kms = old.client("kms")
    old.stop()
    with sandbox.start() as new:
        assert new.client("kms").list_keys()["Keys"] == []
        with pytest.raises(sandbox.SandboxStopped):
            old_kms.list_keys()
