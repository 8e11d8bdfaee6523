"""What a web page can do to the local endpoint (issue 15 §2): nothing, unless the learner allows
its origin; and never the control routes. Sent as a browser would send them, with raw HTTP."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys

import boto3
import pytest

from kmslab.http_guard import HttpGuard, loopback_host, normalize_origin
from kmslab.server import LocalEndpoint

EVIL = "https://evil.example"
MINE = "http://localhost:8888"


@pytest.fixture(scope="module")
def server(sb):
    endpoint = LocalEndpoint(seed=None, allowed_origins=[MINE])
    yield endpoint
    endpoint.stop()


def send(server, method, path, body=b"", **headers):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        headers = {k.replace("_", "-"): v for k, v in headers.items()}
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def kms_headers(operation):
    """What an SDK sends (the fake 'testing' key: the sandbox does not check its signature)."""
    return {"Content_Type": "application/x-amz-json-1.1", "X_Amz_Target": f"TrentService.{operation}",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260601/us-east-1/kms/aws4_request, "
                             "SignedHeaders=host, Signature=0", "X_Amz_Date": "20260601T000000Z"}


def key_count(sb):
    return len(sb.client("kms").list_keys()["Keys"])


# -- cross-origin requests -----------------------------------------------------------------------------
def test_a_page_of_another_origin_cannot_reset_the_sandbox(sb, server):
    sb.client("kms").create_key()
    before = key_count(sb)
    status, headers, _ = send(server, "POST", "/moto-api/reset", Origin=EVIL)
    assert status == 403 and "access-control-allow-origin" not in headers
    assert key_count(sb) == before


def test_a_page_cannot_read_every_secret(server):
    assert send(server, "GET", "/moto-api/data.json", Origin=EVIL)[0] == 403
    assert send(server, "GET", "/moto-api/data.json", Sec_Fetch_Site="cross-site")[0] == 403   # no-cors GET
    assert send(server, "GET", "/moto-api/data.json", Sec_Fetch_Site="same-site")[0] == 403    # localhost:8888
    assert send(server, "GET", "/moto-api/data.json", Origin=MINE)[0] == 403      # allowed for the API only
    assert send(server, "GET", "/moto-api/data.json")[0] == 200                  # the CLI, curl, tests
    own = f"http://127.0.0.1:{server.port}"
    assert send(server, "GET", "/moto-api/data.json", Origin=own, Sec_Fetch_Site="same-origin")[0] == 200


def test_no_preflight_for_other_origins(server):
    status, headers, _ = send(server, "OPTIONS", "/", Origin=EVIL, Access_Control_Request_Method="POST",
                              Access_Control_Request_Headers="authorization,x-amz-target")
    assert status == 403
    assert not [h for h in headers if h.startswith("access-control-")]


def test_simple_requests_that_skip_the_preflight_are_refused(sb, server):
    """A form POST (application/x-www-form-urlencoded) needs no preflight: IAM's query protocol
    looks exactly like one. The Origin header still says where it came from."""
    body = b"Action=CreateUser&UserName=from-a-web-page&Version=2010-05-08"
    status, _, _ = send(server, "POST", "/", body, Origin=EVIL, Content_Type="application/x-www-form-urlencoded",
                        Host=f"127.0.0.1:{server.port}")
    assert status == 403
    users = [u["UserName"] for u in sb.client("iam").list_users()["Users"]]
    assert "from-a-web-page" not in users
    status, _, _ = send(server, "POST", "/", json.dumps({}).encode(), Origin=EVIL, Content_Type="text/plain",
                        X_Amz_Target="TrentService.CreateKey")
    assert status == 403


def test_dns_rebinding_is_refused_by_the_host_header(server):
    """evil.example re-resolved to 127.0.0.1: same origin for the browser, but the Host says so."""
    host = f"evil.example:{server.port}"
    assert send(server, "GET", "/moto-api/data.json", Host=host)[0] == 403
    assert send(server, "POST", "/", b"{}", Host=host, **kms_headers("ListKeys"))[0] == 403
    for good in (f"127.0.0.1:{server.port}", f"localhost:{server.port}", "[::1]", "bucket.localhost:9"):
        assert loopback_host(good), good
    for bad in ("evil.example", "127.0.0.1.evil.example:80", "10.0.0.1:80", "localhost.evil.example"):
        assert not loopback_host(bad), bad


def test_moto_allow_every_origin_headers_are_gone(server):
    status, headers, _ = send(server, "POST", "/", b"{}", **kms_headers("ListKeys"))
    assert status == 200
    assert not [h for h in headers if h.startswith("access-control-")]


def test_an_origin_the_learner_names_may_use_the_api(server):
    status, headers, _ = send(server, "OPTIONS", "/", Origin=MINE, Access_Control_Request_Method="POST",
                              Access_Control_Request_Headers="authorization,x-amz-target,content-type")
    assert status == 204
    assert headers["access-control-allow-origin"] == MINE
    assert "x-amz-target" in headers["access-control-allow-headers"]
    status, headers, body = send(server, "POST", "/", b"{}", Origin=MINE, **kms_headers("ListKeys"))
    assert status == 200 and headers["access-control-allow-origin"] == MINE
    assert "Keys" in json.loads(body)


def test_origins_are_checked_when_given():
    assert normalize_origin("http://localhost:8888/") == "http://localhost:8888"
    for bad in ("localhost:8888", "http://a/b", "*", ""):
        with pytest.raises(ValueError):
            normalize_origin(bad)
    with pytest.raises(ValueError):
        HttpGuard(lambda e, s: [], ["*"])


# -- control routes: only the sandbox's, validated --------------------------------------------------
@pytest.mark.parametrize("body", [b"[1, 2]", b"not json", b'{"scale": 1e-300}', b'{"scale": "x"}',
                                  b'{"scale": true}', b'{"overrides": []}', b'{"overrides": {"symmetric": -1}}',
                                  b'{"overrides": {"symmetric": 1e400}}', b'{"enabled": "yes"}',
                                  b'{"reset": 1}', b'{"colour": "red"}', b'{"scale": 1e300}', b"\xff\xfe"])
def test_quota_route_refuses_bad_bodies(server, body):
    status, _, answer = send(server, "POST", "/moto-api/kmslab/quotas", body, Content_Type="application/json")
    assert status == 400, answer
    assert json.loads(answer)["error"]
    assert json.loads(send(server, "GET", "/moto-api/kmslab/quotas")[2])["enabled"] is False


def test_quota_route_still_works(server):
    try:
        status, _, answer = send(server, "POST", "/moto-api/kmslab/quotas", b'{"scale": 0.5}')
        assert status == 200 and json.loads(answer) == {"enabled": True, "scale": 0.5, "overrides": {}}
    finally:
        send(server, "POST", "/moto-api/kmslab/quotas", b'{"reset": true}')


@pytest.mark.parametrize("path, status", [("/moto-api/seed?a=x", 400), ("/moto-api/seed?a=1&a=2", 400),
                                          ("/moto-api/seed", 400), ("/moto-api/recorder/start-recording", 404),
                                          ("/moto-api/reset-auth", 404), ("/moto-api/proxy/passthrough", 404)])
def test_other_control_routes_are_checked_or_not_served(server, path, status):
    assert send(server, "POST", path, b"x")[0] == status


def test_reset_needs_post(server):
    assert send(server, "GET", "/moto-api/reset")[0] == 405


# -- the serve process ----------------------------------------------------------------------------------
def _listener_on_a_real_interface():
    """A TCP listener on this machine's first non-loopback IPv4 address (Linux), if it has one."""
    import fcntl
    import struct

    address = None
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _, name in socket.if_nameindex():
            try:   # SIOCGIFADDR: the interface's address, asked of the kernel (nothing is sent)
                packed = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))
            except OSError:
                continue
            candidate = socket.inet_ntoa(packed[20:24])
            if not candidate.startswith("127."):
                address = candidate
                break
    finally:
        probe.close()
    if address is None:
        return None
    listener = socket.socket()
    listener.bind((address, 0))
    listener.listen(5)
    listener.setblocking(False)
    return listener


@pytest.mark.slow
def test_serve_process_is_guarded_and_prints_the_environment_to_set():
    """An SNS HTTP subscription to a non-loopback address: the serve process must not POST there.
    Its output gives the exact lines for a terminal, and the AWS CLI then works without flags."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen([sys.executable, "-m", "kmslab", "serve"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    listener = None
    try:
        lines = [proc.stdout.readline() for _ in range(9)]
        url = re.search(r"http://127\.0\.0\.1:\d+", lines[0]).group(0)
        exports = dict(re.fullmatch(r"\s*export (\w+)=(\S+)\s*", line).groups()
                       for line in lines if line.strip().startswith("export "))
        assert exports["AWS_ENDPOINT_URL"] == url
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"} <= set(exports)
        assert any("unset AWS_PROFILE AWS_SESSION_TOKEN" in line for line in lines)

        cli_env = {**env, **exports, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                   "AWS_PAGER": ""}
        out = subprocess.run([sys.executable, "-m", "awscli", "kms", "list-keys", "--output", "json"],
                             capture_output=True, text=True, env=cli_env, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "Keys" in json.loads(out.stdout)

        listener = _listener_on_a_real_interface()
        if listener is None:
            pytest.skip("this machine has no non-loopback address to listen on")
        host, port = listener.getsockname()[:2]
        sns = boto3.client("sns", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        topic = sns.create_topic(Name="leak")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"http://{host}:{port}/hook")
        sns.publish(TopicArn=topic, Message="hello")            # delivered synchronously by moto
        with pytest.raises(BlockingIOError):
            listener.accept()                                     # nobody connected
        assert boto3.client("kms", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                            aws_secret_access_key="testing").list_keys()["Keys"] == []
    finally:
        if listener is not None:
            listener.close()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
