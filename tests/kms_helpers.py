"""Helpers shared by the KMS core tests (the fixtures are in conftest.py)."""
from __future__ import annotations

import http.client
from urllib.parse import urlparse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError


def error_code(call, *args, **kwargs) -> tuple[str, str]:
    """Run a client call that must fail; return (code, message)."""
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    err = caught.value.response["Error"]
    return err["Code"], err.get("Message", "")


def signed_post(url: str, target: str | None, body: bytes, region: str = "us-east-1",
                **extra: str) -> tuple[int, bytes]:
    """POST one raw KMS request to an endpoint, signed with SigV4 like any client's: for
    requests no SDK would send (other operation names, broken bodies, odd headers)."""
    headers = {"Content-Type": "application/x-amz-json-1.1", **extra}
    if target is not None:
        headers["X-Amz-Target"] = target
    request = AWSRequest(method="POST", url=url + "/", data=body, headers=headers)
    SigV4Auth(Credentials("testing", "testing"), "kms", region).add_auth(request)
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request("POST", "/", body=body, headers=dict(request.headers.items()))
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()
