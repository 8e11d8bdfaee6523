"""The endpoint's HTTP front, before any KMS code: a request goes to the service its X-Amz-Target
names, and a request that is unsigned, or signed with a malformed Authorization header, gets the
error AWS gives (https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html).

Before: an unsigned KMS request, or one whose credential scope names no service, was routed to S3
(a ListBuckets answer); "AWS4-HMAC-SHA256 garbage" and "garbage" were moto's HTML 500."""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import urllib.request

import boto3
import botocore
import pytest
from botocore.config import Config

from kms_helpers import error_code, signed_post
from kmslab.service import authentication

SCOPE = "testing/20260601/us-east-1/kms/aws4_request"
DATE = "20260601T000000Z"
KMS = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"}


def post(endpoint, headers: dict, body: bytes = b"{}", path: str = "/", method: str = "POST"):
    conn = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def aws_error(endpoint, headers: dict, body: bytes = b"{}") -> tuple[int, str, str]:
    status, head, answer = post(endpoint, headers, body)
    error = json.loads(answer)
    assert head["content-type"] == "application/x-amz-json-1.1"
    return status, error["__type"], error.get("message")


def sigv4(credential: str = SCOPE, date: str | None = DATE, **parts: str) -> dict:
    fields = {"Credential": credential, "SignedHeaders": "host;x-amz-date", "Signature": "0" * 64, **parts}
    header = "AWS4-HMAC-SHA256 " + ", ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
    return {**KMS, "Authorization": header, **({"X-Amz-Date": date} if date else {})}


# -- unsigned -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", ["ListKeys", "CreateKey", "Encrypt"])
def test_an_unsigned_kms_request_is_missing_its_token(sb, endpoint, operation):
    keys = len(sb.client("kms").list_keys()["Keys"])
    status, code, message = aws_error(endpoint, {**KMS, "X-Amz-Target": f"TrentService.{operation}"})
    assert (status, code, message) == (403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    assert len(sb.client("kms").list_keys()["Keys"]) == keys          # nothing was made


def test_an_unsigned_client_in_process_too(sb):
    unsigned = sb.client("kms", config=Config(signature_version=botocore.UNSIGNED))
    assert error_code(unsigned.list_keys) == ("MissingAuthenticationTokenException", authentication.MISSING_TOKEN)


@pytest.mark.slow
def test_the_aws_cli_without_a_signature(endpoint):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_ENDPOINT_URL=endpoint.url)
    run = subprocess.run([sys.executable, "-m", "awscli", "kms", "list-keys", "--no-sign-request"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode != 0 and "MissingAuthenticationTokenException" in run.stderr, run.stderr


# -- malformed Authorization headers --------------------------------------------------------------------
REQUIRES = ("Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
            "parameter. Authorization header requires 'SignedHeaders' parameter. ")
NO_DATE = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "

MALFORMED = [
    ({**KMS, "Authorization": "AWS4-HMAC-SHA256 garbage"}, "IncompleteSignatureException",
     REQUIRES + NO_DATE + "Authorization=AWS4-HMAC-SHA256 garbage"),
    ({**KMS, "Authorization": "garbage", "X-Amz-Date": DATE}, "IncompleteSignatureException",
     REQUIRES + "Authorization=garbage"),
    (sigv4(Signature=None), "IncompleteSignatureException",
     "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 "
     f"Credential={SCOPE}, SignedHeaders=host;x-amz-date"),
    (sigv4(date=None), "IncompleteSignatureException",
     NO_DATE + f"Authorization=AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host;x-amz-date, "
     f"Signature={'0' * 64}"),
    (sigv4("testing/us-east-1/kms/aws4_request"), "IncompleteSignatureException",
     "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
     "got 'testing/us-east-1/kms/aws4_request'"),
    (sigv4("testing/20260601/us-east-1/kms/aws5_request"), "InvalidSignatureException",
     "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "),
    (sigv4(date="2026-06-01T00:00:00Z"), "IncompleteSignatureException",
     "Date must be in ISO-8601 'basic format'. Got '2026-06-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"),
    (sigv4(date="20260602T000000Z"), "InvalidSignatureException",
     "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
     "'20260601' != '20260602', from '20260602T000000Z'."),
    # the scope names another service, or none: the request is for KMS all the same (X-Amz-Target)
    (sigv4("testing/20260601/us-east-1//aws4_request"), "InvalidSignatureException",
     "Credential should be scoped to correct service: 'kms'. "),
    (sigv4("testing/20260601/us-east-1/s3/aws4_request"), "InvalidSignatureException",
     "Credential should be scoped to correct service: 'kms'. "),
]


@pytest.mark.parametrize("headers, code, message", MALFORMED, ids=[m[2][:50] for m in MALFORMED])
def test_a_malformed_authorization_header_gets_awss_error(endpoint, headers, code, message):
    assert aws_error(endpoint, headers) == (400, code, message)


def test_a_well_formed_header_with_made_up_credentials_still_works(endpoint):
    status, _, answer = post(endpoint, sigv4())
    assert status == 200 and "Keys" in json.loads(answer)
    status, _, answer = post(endpoint, {**sigv4(date=None), "Date": "Mon, 01 Jun 2026 00:00:00 GMT"})
    assert status == 200, answer                    # a Date header stands in for X-Amz-Date


def test_the_other_json_services_route_by_their_target_too(endpoint):
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.DescribeParameters"}
    status, code, message = aws_error(endpoint, {**headers, "Authorization": "AWS4-HMAC-SHA256 garbage"})
    assert (status, code) == (400, "IncompleteSignatureException")
    signed = sigv4("testing/20260601/us-east-1/ssm/aws4_request")
    status, _, answer = post(endpoint, {**signed, **headers})
    assert status == 200 and "Parameters" in json.loads(answer)


# -- S3 keeps its own ways --------------------------------------------------------------------------------
def test_s3_answers_malformed_headers_in_its_own_shape(endpoint):
    status, _, answer = post(endpoint, {"Authorization": "AWS4-HMAC-SHA256 garbage"}, b"", method="GET")
    assert status == 400 and b"<Code>AuthorizationHeaderMalformed</Code>" in answer
    status, _, answer = post(endpoint, {"Authorization": "garbage"}, b"", method="GET")
    assert status == 400 and b"<Code>InvalidArgument</Code>" in answer


def test_s3_presigned_urls_still_work(sb, endpoint):
    s3 = boto3.client("s3", endpoint_url=endpoint.url, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    s3.create_bucket(Bucket="presigned-still-work")
    s3.put_object(Bucket="presigned-still-work", Key="k", Body=b"shared by URL")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "presigned-still-work", "Key": "k"})
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.read() == b"shared by URL"


def test_signed_requests_still_verify(world, endpoint):
    """A sandbox key with its own secret still works over HTTP (nothing above broke the real signatures)."""
    _, people = world
    kms = boto3.client("kms", endpoint_url=endpoint.url, region_name="us-east-1",
                       aws_access_key_id=people.admin.credentials["AccessKeyId"],
                       aws_secret_access_key=people.admin.credentials["SecretAccessKey"])
    assert "Keys" in kms.list_keys()
    assert signed_post(endpoint.url, "TrentService.ListKeys", b"{}")[0] == 200
