"""No 500s: malformed requests to every KMS operation of `python -m kmslab serve` (issue 14).

Each of the 56 operations in botocore's KMS model gets requests built from its input shape
(with real key ids, aliases, grant tokens and ciphertexts, so they reach deep into the
operations) and then broken: a member missing, of the wrong JSON type, an array or null
for an object, deeply nested, oversized. Beside them: bodies that are not JSON objects or
not UTF-8, huge bodies and unknown operation names. And the HTTP front: each header it reads
(Authorization, X-Amz-Date, Host, Content-Type, Content-Length) broken, emptied or removed from
an otherwise well-formed KMS request. Every answer must be AWS-shaped (a JSON error with
__type), never HTTP 5xx, and the server must still serve afterwards.

Hypothesis draws the requests from a fixed seed (derandomize), a few per operation, so the
test is quick in `make test`. For a longer hunt:

    KMSLAB_FUZZ_EXAMPLES=300 .venv/bin/python -m pytest tests/test_fuzz_endpoint.py -q
"""
from __future__ import annotations

import base64
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
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kms_helpers import signed_post

from kmslab.service import front_door

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("KMSLAB_FUZZ_EXAMPLES", "6"))
OPERATIONS = sorted(front_door.operations())
REGION = "us-east-1"


# -- the server and a raw, signed client ------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("serve") / "stderr.txt"
    with open(log, "w") as err:  # a file, not a pipe: a full pipe would stall the server
        proc = subprocess.Popen([sys.executable, "-m", "kmslab", "serve"], stdout=subprocess.PIPE,
                                stderr=err, text=True)
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline()).group(0)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        printed = log.read_text()
        assert "Traceback" not in printed, "the server printed a traceback:\n" + printed[-3000:]


def send(url: str, target: str | None, body: bytes, **headers: str) -> tuple[int, bytes]:
    return signed_post(url, target, body, REGION, **headers)


def assert_aws_shaped(status: int, body: bytes, what: str) -> None:
    assert status < 500, f"{what}: HTTP {status} {body[:300]!r}"
    if status >= 400:
        error = json.loads(body)
        assert isinstance(error.get("__type"), str) and error["__type"], f"{what}: {body[:300]!r}"


# -- real things for requests to name -----------------------------------------------------------

@pytest.fixture(scope="module")
def pools(server):
    kms = boto3.client("kms", endpoint_url=server, region_name=REGION, aws_access_key_id="testing",
                       aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))
    made = [kms.create_key()["KeyMetadata"],
            kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"],
            kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"],
            kms.create_key(KeySpec="ECC_NIST_P384", KeyUsage="KEY_AGREEMENT")["KeyMetadata"],
            kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"],
            kms.create_key(Origin="EXTERNAL")["KeyMetadata"],
            kms.create_key(MultiRegion=True)["KeyMetadata"]]
    kms.create_alias(AliasName="alias/fuzz", TargetKeyId=made[0]["KeyId"])
    grant = kms.create_grant(KeyId=made[0]["KeyId"], GranteePrincipal=f"arn:aws:iam::{made[0]['AWSAccountId']}:root",
                             Operations=["Encrypt", "Decrypt", "RetireGrant"])
    blobs = [kms.encrypt(KeyId=made[0]["KeyId"], Plaintext=b"fuzz")["CiphertextBlob"],
             kms.encrypt(KeyId=made[1]["KeyId"], Plaintext=b"fuzz",
                         EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"],
             b"\x01" + b"x" * 60, b"", b"\x00" * 6145]
    ids = [m["KeyId"] for m in made] + [m["Arn"] for m in made]
    ids += ["alias/fuzz", f"arn:aws:kms:{REGION}:{made[0]['AWSAccountId']}:alias/fuzz", "alias/aws/s3",
            "alias/missing", "1234abcd-12ab-34cd-56ef-1234567890ab", "mrk-0123456789abcdef0123456789abcdef",
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:::", "arn:", "key/", "alias/", ":", "not a key"]
    return {"ids": ids, "grant_ids": [grant["GrantId"], "0" * 64, "x"],
            "tokens": [grant["GrantToken"], "token"], "blobs": blobs,
            "principals": [f"arn:aws:iam::{made[0]['AWSAccountId']}:root", "*", "arn:aws:iam::1:user/x",
                           "not-a-principal"],
            "policies": [json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]}),
                "{", "[]", '{"Statement": [{"Effect": 1}]}']}


# -- requests drawn from the model --------------------------------------------------------------

JUNK = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) |
                    st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)


def nested(depth: int):
    return json.loads("[" * depth + "]" * depth) if depth < 900 else {"deep": depth}


def value_for(shape, name: str, pools: dict, depth: int = 0):
    """A strategy for a value that fits `shape` (and often names real things)."""
    kind = shape.type_name
    if kind == "structure":
        members = {k: value_for(v, k, pools, depth + 1) for k, v in shape.members.items()} if depth < 4 else {}
        required = {k: members[k] for k in shape.required_members if k in members}
        optional = {k: s for k, s in members.items() if k not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "list":
        return st.lists(value_for(shape.member, name, pools, depth + 1), max_size=3)
    if kind == "map":
        return st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3)
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "long"):
        low, high = shape.metadata.get("min", -5), shape.metadata.get("max", 5000)
        return st.integers(low - 2, high + 2)
    if kind == "timestamp":
        return st.integers(0, 2**33)
    if kind == "blob":
        if "Ciphertext" in name or name in ("EncryptedKeyMaterial", "ImportToken", "Signature", "Mac"):
            choices = st.sampled_from([base64.b64encode(b).decode() for b in pools["blobs"]])
        else:
            choices = st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode())
        return choices | st.just("not base64!")
    if shape.enum:
        return st.sampled_from(list(shape.enum)) | st.text(max_size=12)
    if name.endswith("KeyId") or name == "KeyId":
        return st.sampled_from(pools["ids"])
    if name == "GrantId":
        return st.sampled_from(pools["grant_ids"])
    if name in ("GrantToken",) or name.startswith("GrantToken"):
        return st.sampled_from(pools["tokens"])
    if name.endswith("Principal"):
        return st.sampled_from(pools["principals"])
    if name == "Policy":
        return st.sampled_from(pools["policies"])
    if name == "AliasName":
        return st.sampled_from(["alias/fuzz", "alias/new-one", "alias/aws/x", "alias/", "noprefix", "alias/a:b"])
    if name.endswith("Region"):
        return st.sampled_from([REGION, "eu-west-1", "moon-1", "us-east-1 "])
    high = shape.metadata.get("max", 64)
    return st.text(max_size=min(high + 2, 300))


MUTATIONS = ("none", "drop-required", "wrong-type", "null", "array-for-object", "deep", "oversize")


@st.composite
def broken_request(draw, operation: str, pools: dict):
    shape = front_door.model().operation_model(operation).input_shape
    params = draw(value_for(shape, operation, pools))
    mutation = draw(st.sampled_from(MUTATIONS))
    names = sorted(shape.members)
    if mutation == "drop-required" and shape.required_members:
        params.pop(draw(st.sampled_from(shape.required_members)), None)
    elif mutation in ("wrong-type", "null", "array-for-object", "deep", "oversize") and names:
        name = draw(st.sampled_from(names))
        params[name] = {"wrong-type": draw(JUNK), "null": None, "array-for-object": [draw(JUNK)],
                        "deep": nested(draw(st.sampled_from([50, 5000]))),
                        "oversize": "x" * draw(st.sampled_from([9000, 300_000]))}[mutation]
    return json.dumps(params).encode()


@pytest.mark.parametrize("operation", OPERATIONS)
def test_no_5xx_for_any_operation(server, pools, operation):
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(body=broken_request(operation, pools))
    def one(body):
        status, answer = send(server, f"TrentService.{operation}", body)
        assert_aws_shaped(status, answer, f"{operation} {body[:200]!r}")

    one()


SPECIAL = [
    ("TrentService.ListKeys", b"\xff\xfe{}", "bad UTF-8"),
    ("TrentService.ListKeys", b'{"Marker": "\xc3\x28"}', "bad UTF-8 inside a string"),
    ("TrentService.ListKeys", b"[]", "an array body"),
    ("TrentService.ListKeys", b'"text"', "a string body"),
    ("TrentService.ListKeys", b"null", "a null body"),
    ("TrentService.ListKeys", b"12", "a number body"),
    ("TrentService.ListKeys", b"{", "broken JSON"),
    ("TrentService.ListKeys", b'{"Limit": NaN}', "NaN"),
    ("TrentService.ListKeys", b'{"Limit": 1e999}', "an infinite number"),
    ("TrentService.ListKeys", b'{"Limit": 99999999999999999999999}', "a huge integer"),
    ("TrentService.ListKeys", b"[" * 100_000 + b"]" * 100_000, "deep nesting"),
    ("TrentService.Encrypt", json.dumps({"KeyId": "alias/fuzz", "Plaintext": "A" * 5_000_000}).encode(),
     "a 5 MB body"),
    ("TrentService.encrypt", b"{}", "a lower-case operation"),
    ("TrentService.put_key_policy", b"{}", "a snake_case operation"),
    ("TrentService.", b"{}", "no operation"),
    ("Trent.Encrypt", b"{}", "another prefix"),
    # HTTP drops whitespace around a header's value (RFC 9110, 5.5), so this is Encrypt: the
    # front door then refuses the empty body's missing members.
    ("TrentService.Encrypt ", b"{}", "a trailing space"),
    ("", b"{}", "an empty target"),
    (None, b"{}", "no target header"),
    ("TrentService.Énc", b"{}", "a non-ASCII operation"),
]


@pytest.mark.parametrize("target, body, what", SPECIAL, ids=[s[2] for s in SPECIAL])
def test_no_5xx_for_broken_bodies_and_targets(server, target, body, what):
    status, answer = send(server, target, body)
    assert_aws_shaped(status, answer, what)
    if what == "a trailing space":
        assert json.loads(answer)["__type"] == "ValidationException"
    elif "operation" in what or "target" in what or "prefix" in what:
        assert json.loads(answer)["__type"] == "UnknownOperationException"
    elif what != "a 5 MB body":
        assert json.loads(answer)["__type"] == "SerializationException", answer


def test_no_5xx_for_random_targets_and_bytes(server):
    header_text = st.text(st.characters(min_codepoint=33, max_codepoint=255), max_size=40)  # what HTTP can carry

    @settings(max_examples=EXAMPLES * 10, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(target=st.one_of(header_text, st.sampled_from(OPERATIONS).map(lambda op: f"TrentService.{op}")),
           body=st.binary(max_size=200))
    def one(target, body):
        status, answer = send(server, target, body)
        assert_aws_shaped(status, answer, f"{target!r} {body[:100]!r}")
        if target.removeprefix("TrentService.") not in front_door.operations() or not target.startswith("TrentService."):
            assert json.loads(answer)["__type"] == "UnknownOperationException"

    one()


def test_a_body_that_claims_to_be_gzip(server):
    import gzip

    for body in (b"{}", gzip.compress(b"{}")):
        status, answer = send(server, "TrentService.ListKeys", body, **{"Content-Encoding": "gzip"})
        assert_aws_shaped(status, answer, f"gzip {body!r}")


# -- the HTTP front: headers of a KMS request, each broken in turn ------------------------------------

def raw_request(url: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, bytes]:
    """Send exactly these header lines (no Host or Content-Length added), then half-close, so a
    Content-Length longer than the body never leaves the server waiting."""
    port = int(url.rsplit(":", 1)[1])
    head = "POST / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1") + body)
        sock.shutdown(socket.SHUT_WR)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        return answer.status, answer.read()


def signed_headers(url: str, target: str, body: bytes) -> dict[str, str]:
    """What a client sends: SigV4 with the made-up key (its signature is not checked; its form is)."""
    request = AWSRequest(method="POST", url=url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    SigV4Auth(Credentials("testing", "testing"), "kms", REGION).add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = url.split("//", 1)[1]
    headers["Content-Length"] = str(len(body))
    return headers


HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255, blacklist_characters="\x7f"), max_size=60)
LOOPBACK_HOSTS = st.sampled_from(["127.0.0.1", "localhost", "LOCALHOST", "[::1]", "a.localhost", "127.0.0.1:1",
                                  "127.0.0.1:abc", "localhost.", "127.0.0.1.nip.io", "evil.example", "0.0.0.0",
                                  "127.0.0.1:99999999999", "[::1", ":"])


@st.composite
def broken_authorization(draw, real: str):
    algorithm, _, rest = real.partition(" ")
    parts = [p.strip() for p in rest.split(",")]
    choice = draw(st.sampled_from(["text", "drop", "repeat", "scope", "algorithm", "suffix", "empty-values"]))
    if choice == "text":
        return draw(HEADER_TEXT)
    if choice == "drop":
        parts.pop(draw(st.integers(0, len(parts) - 1)))
    elif choice == "repeat":
        parts.append(draw(st.sampled_from(parts)))
    elif choice == "scope":
        pieces = draw(st.lists(st.text(st.characters(min_codepoint=33, max_codepoint=126,
                                                     blacklist_characters=",/"), max_size=12), max_size=7))
        parts[0] = "Credential=" + "/".join(pieces)
    elif choice == "algorithm":
        algorithm = draw(st.sampled_from(["aws4-hmac-sha256", "AWS4-HMAC-SHA512", "AWS", "AWS4-ECDSA-P256-SHA256", ""]))
    elif choice == "suffix":
        return real + draw(HEADER_TEXT)
    else:
        parts = [p.split("=", 1)[0] + "=" for p in parts]
    return f"{algorithm} {', '.join(parts)}"


def header_value(name: str, real: dict[str, str]):
    return {"Authorization": broken_authorization(real["Authorization"]),
            "X-Amz-Date": HEADER_TEXT | st.from_regex(r"\A[0-9]{8}T[0-9]{6}Z\Z"),
            "Host": HEADER_TEXT | LOOPBACK_HOSTS,
            "Content-Type": HEADER_TEXT | st.sampled_from(["application/json", "application/x-amz-json-1.0",
                                                          "application/x-www-form-urlencoded", "text/plain",
                                                          "multipart/form-data; boundary=x", ""]),
            "Content-Length": st.integers(-3, 200).map(str) | HEADER_TEXT |
                              st.sampled_from(["99999999999999999999", "1e3", "0x10", "+2", " 2 ", "2, 2"]),
            }[name]


FRONT_HEADERS = ["Authorization", "X-Amz-Date", "Host", "Content-Type", "Content-Length"]


@pytest.mark.parametrize("header", FRONT_HEADERS)
def test_no_5xx_for_broken_headers_of_a_kms_request(server, pools, header):
    """Each header the HTTP front reads, replaced, emptied or removed: an AWS-shaped answer, never 5xx."""
    bodies = {"TrentService.ListKeys": b"{}", "TrentService.DescribeKey": json.dumps({"KeyId": "alias/fuzz"}).encode(),
              "TrentService.Encrypt": json.dumps({"KeyId": "alias/fuzz", "Plaintext": "eA=="}).encode()}

    @settings(max_examples=EXAMPLES * 5, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(target=st.sampled_from(sorted(bodies)), data=st.data())
    def one(target, data):
        body = bodies[target]
        headers = signed_headers(server, target, body)
        value = data.draw(st.none() | header_value(header, headers), label=header)
        if value is None:
            del headers[header]
        else:
            headers[header] = value.replace("\r", " ").replace("\n", " ")
        status, answer = raw_request(server, list(headers.items()), body)
        what = f"{header}: {value!r} -> {status} {answer[:300]!r}"
        assert status < 500, what
        if status >= 400:
            assert isinstance(json.loads(answer).get("__type"), str), what

    one()


def test_the_server_still_serves(server, pools):
    status, answer = send(server, "TrentService.ListKeys", b"{}")
    assert status == 200 and len(json.loads(answer)["Keys"]) >= 7
