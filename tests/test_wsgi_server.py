"""kmslab.wsgi_server: the endpoint's HTTP server keeps connections alive, listens on loopback
only, and hands moto the environ moto's own server did (headers, raw request target)."""
from __future__ import annotations

import http.client
import json
import logging
import socket

import pytest

from kmslab.wsgi_server import LoopbackServer


def echo(environ, start_response):
    """A WSGI app that answers with the environ's strings and moto's preserved header names."""
    if environ["PATH_INFO"] == "/boom":
        raise RuntimeError("boom")
    shown = {k: v for k, v in environ.items() if isinstance(v, str)}
    shown["preserved"] = environ.get("moto.preserved_header_names")
    body = json.dumps(shown).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture(scope="module")
def server():
    srv = LoopbackServer(echo).start()
    yield srv
    srv.stop()


def raw_request(server, lines: list[str]) -> tuple[int, dict]:
    """Send a request as written (http.client would refuse some of these headers)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        return answer.status, json.loads(answer.read() or b"{}")


def test_listens_on_loopback_only(server):
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server._server.socket.getsockname()[0] == "127.0.0.1"


def test_one_connection_serves_many_requests(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    ports = set()
    for _ in range(5):
        conn.request("GET", "/")
        answer = conn.getresponse()
        assert answer.status == 200
        assert (answer.getheader("Connection") or "").lower() != "close"
        answer.read()
        ports.add(conn.sock.getsockname()[1])
    assert len(ports) == 1
    conn.close()


def test_an_underscored_header_never_stands_in_for_a_dashed_one(server):
    _, env = raw_request(server, ["GET / HTTP/1.1", "Host: 127.0.0.1", "X_Amz_Date: 20990101T000000Z",
                                  "Connection: close"])
    assert "HTTP_X_AMZ_DATE" not in env
    _, env = raw_request(server, ["GET / HTTP/1.1", "Host: 127.0.0.1", "X-Amz-Date: 20200101T000000Z",
                                  "X_Amz_Date: 20990101T000000Z", "Connection: close"])
    assert env["HTTP_X_AMZ_DATE"] == "20200101T000000Z"


def test_s3_metadata_names_with_underscores_reach_moto(server):
    _, env = raw_request(server, ["PUT /bucket/key HTTP/1.1", "Host: 127.0.0.1", "x-amz-meta-my_key: a",
                                  "x-amz-meta-other-key: b", "Content-Length: 0", "Connection: close"])
    assert env["HTTP_X_AMZ_META_MY_KEY"] == "a"
    assert env["preserved"] == {"HTTP_X_AMZ_META_MY_KEY": "X-Amz-Meta-My_Key"}
    _, env = raw_request(server, ["PUT /bucket/key HTTP/1.1", "Host: 127.0.0.1", "x-amz-meta-a-b: dashed",
                                  "x-amz-meta-a_b: underscored", "Content-Length: 0", "Connection: close"])
    assert env["HTTP_X_AMZ_META_A_B"] == "dashed"


def test_the_raw_request_target_is_kept_for_moto(server):
    _, env = raw_request(server, ["GET /bucket/dir%2Fname?x=1 HTTP/1.1", "Host: 127.0.0.1",
                                  "Connection: close"])
    assert env["RAW_URI"] == "/bucket/dir%2Fname?x=1"
    assert env["PATH_INFO"] == "/bucket/dir/name"


def test_an_app_error_is_a_500_and_a_log_record_not_a_dead_server(server, caplog):
    with caplog.at_level(logging.ERROR, logger="kmslab.endpoint"):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/boom")
        assert conn.getresponse().status == 500
        conn.close()
    assert any("boom" in (r.exc_text or "") or r.exc_info for r in caplog.records)
    status, _ = raw_request(server, ["GET / HTTP/1.1", "Host: 127.0.0.1", "Connection: close"])
    assert status == 200


def test_s3_metadata_with_underscores_through_the_endpoint(sb, endpoint):
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint.url,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="wsgi-meta")
    s3.put_object(Bucket="wsgi-meta", Key="k", Body=b"x", Metadata={"my_key": "1", "other-key": "2"})
    assert s3.head_object(Bucket="wsgi-meta", Key="k")["Metadata"] == {"my_key": "1", "other-key": "2"}


def test_s3_keys_with_encoded_characters_through_the_endpoint(sb, endpoint):
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint.url,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="wsgi-keys")
    for key in ("dir/name", "a%2Fb", "space here+plus", "ünï"):
        s3.put_object(Bucket="wsgi-keys", Key=key, Body=key.encode())
        assert s3.get_object(Bucket="wsgi-keys", Key=key)["Body"].read() == key.encode()
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket="wsgi-keys")["Contents"]}
    assert listed == {"dir/name", "a%2Fb", "space here+plus", "ünï"}


def test_a_forgotten_endpoint_never_keeps_python_from_exiting():
    import subprocess
    import sys

    code = ("from kmslab.server import LocalEndpoint; e = LocalEndpoint(); "
            "import urllib.request; urllib.request.urlopen(e.url + '/moto-api/reset', data=b'').read(); "
            "print(e.url)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("http://127.0.0.1:")


def test_a_port_in_use_is_a_clear_error():
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}: Address already in use"):
            LoopbackServer(echo, port)
        done = subprocess.run([sys.executable, "-m", "kmslab", "serve", "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == (f"python -m kmslab serve: cannot listen on 127.0.0.1:{port}: "
                           "Address already in use\n")


def test_moto_api_controls_answer_through_the_endpoint(sb, endpoint):
    import urllib.request

    from kmslab.service import quotas

    with urllib.request.urlopen(endpoint.url + "/moto-api/data.json", timeout=10) as answer:
        assert answer.status == 200 and "kms" in json.loads(answer.read())
    with urllib.request.urlopen(endpoint.url + quotas.ROUTE, timeout=10) as answer:
        assert json.loads(answer.read())["enabled"] is False
    request = urllib.request.Request(endpoint.url + "/moto-api/seed?a=42", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
