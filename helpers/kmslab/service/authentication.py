"""AUTHENTICATE every request to every sandbox service, before moto reads it.

AWS checks who signed a request before anything else
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html). The sandbox does the
same for the credentials it issued:
- an access key of one of the sandbox's IAM users, or of an assumed-role session, must sign
  with Signature Version 4 and its own secret (and a session, with its session token);
  otherwise the answer is the service's "bad signature" error (KMS: InvalidSignatureException);
- an unknown access key id that claims to be one of the sandbox's (an AKIA/ASIA key whose
  encoded account is an account the sandbox knows, such as the key of a deleted user), or an
  inactive key, gets the service's "unknown key" error (KMS: UnrecognizedClientException);
- any other credentials ("testing", "AKIAIOSFODNN7EXAMPLE", ...) keep meaning the default
  account's root user, as documented, so lessons and the AWS CLI with made-up keys work.
  AWS access key ids encode their account
  (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetAccessKeyInfo.html); so do moto's.

Secret access keys come from the operating system's random generator, not from moto's seeded one
(which still makes the access key ids, so outputs repeat): knowing the seed gives no one a secret.

moto also lets any request choose its account with an `x-moto-account-id` header. Only the
sandbox's own tooling may send it, together with `x-kmslab-tooling` carrying this process's
secret (`tooling_headers`); any other request that carries it is refused.

Before any of that, the request must be signed at all, in a well-formed way, as AWS checks
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html; the codes:
https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html):
- a KMS request with no signature (no Authorization header, no query-string signature) is
  MissingAuthenticationTokenException, "Missing Authentication Token" (S3 still takes anonymous
  requests and presigned URLs);
- an Authorization header that is not a complete SigV4 header (its Credential, SignedHeaders and
  Signature, a credential scope of five parts ending in aws4_request, an X-Amz-Date or Date header,
  an X-Amz-Date in ISO 8601 basic format that matches the scope's date) is IncompleteSignature(Exception)
  or InvalidSignatureException, in the service's protocol; S3 answers AuthorizationHeaderMalformed;
- a request routed by its X-Amz-Target (`target_service`) must be scoped to that service
  ("Credential should be scoped to correct service: 'kms'. ").
Made-up credentials in a well-formed header still mean the default account's root.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException

from .patching import wrap

TOOLING_HEADER = "x-kmslab-tooling"
ACCOUNT_HEADER = "x-moto-account-id"
_TOOLING_SECRET = secrets.token_urlsafe(32)

_SANDBOX_KEY = re.compile(r"(AKIA|ASIA)([A-Z2-7]{8})([A-Z2-7])[A-Z0-9]{7}")
_ACCOUNT_OFFSET = 549755813888      # the base of moto's account encoding (base32 "QAAAAAAA")
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_HEX64 = re.compile(r"[0-9a-f]{64}")

MISSING_TOKEN = "Missing Authentication Token"
#: JSON-protocol services of the course whose requests name themselves in X-Amz-Target
#: ("TrentService.Encrypt"); their target prefixes come from botocore's models.
TARGET_SERVICES = ("kms", "ssm", "secretsmanager", "cloudtrail")
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")

BAD_SIGNATURE = ("The request signature we calculated does not match the signature you provided. "
                 "Check your AWS Secret Access Key and signing method. Consult the service documentation "
                 "for details.")
UNKNOWN_KEY = "The security token included in the request is invalid."


def tooling_headers(account_id: str) -> dict[str, str]:
    """Headers with which the sandbox's own tooling may act in `account_id` (this process only)."""
    return {ACCOUNT_HEADER: account_id, TOOLING_HEADER: _TOOLING_SECRET}


# -- errors, in each protocol's shape ----------------------------------------------------------------
class AuthError(HTTPException):
    """An authentication error, rendered as the service's protocol renders errors."""

    def __init__(self, status: int, code: str, message: str, xml: bool, s3: bool = False):
        self.error_type, self.message = code, message
        if s3:
            self._body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                          f"<Message>{message}</Message><RequestId></RequestId></Error>")
        elif xml:
            self._body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type>'
                          f"<Code>{code}</Code><Message>{message}</Message></Error>"
                          "<RequestId></RequestId></ErrorResponse>")
        else:
            self._body = json.dumps({"__type": code, "message": message})
        self._content_type = "application/xml" if xml or s3 else "application/x-amz-json-1.1"
        # moto's call_action sends `description` as the body of errors raised by its auth hook
        super().__init__(description=self._body)
        self.code = status

    def get_body(self, *args: Any, **kwargs: Any) -> str:
        return self._body

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [("Content-Type", self._content_type), ("X-Amzn-ErrorType", self.error_type)]


@functools.lru_cache(maxsize=64)
def _protocol(service: str) -> str:
    try:
        import botocore.session

        return botocore.session.get_session().get_service_model(service).protocol
    except Exception:  # a signing name that is not a model name: most services speak JSON
        return "json"


def _error(service: str, kind: str, message: str | None = None) -> AuthError:
    """kind: "unknown key" | "bad signature" | "denied" | "incomplete" | "scope" | "missing token"
    ("incomplete" and "scope" carry their message)."""
    protocol = _protocol(service)
    if service == "s3" or protocol == "rest-xml":
        code, text, status = {
            "unknown key": ("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", 403),
            "bad signature": ("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                              "signature you provided. Check your key and signing method.", 403),
            "denied": ("AccessDenied", "Access Denied", 403),
            "incomplete": ("AuthorizationHeaderMalformed", message, 400),
            "scope": ("AuthorizationHeaderMalformed", message, 400),
            "missing token": ("AccessDenied", "Access Denied", 403)}[kind]
        return AuthError(status, code, text, xml=True, s3=True)
    if protocol in ("query", "ec2"):
        if protocol == "ec2" and kind in ("unknown key", "bad signature"):
            return AuthError(401, "AuthFailure", "AWS was not able to validate the provided access credentials",
                             xml=True)
        code, status = {"unknown key": ("InvalidClientTokenId", 403), "bad signature": ("SignatureDoesNotMatch", 403),
                        "denied": ("AccessDenied", 403), "incomplete": ("IncompleteSignature", 400),
                        "scope": ("SignatureDoesNotMatch", 403),
                        "missing token": ("MissingAuthenticationToken", 403)}[kind]
        return AuthError(status, code, message or _message(kind), xml=True)
    code, status = {"unknown key": ("UnrecognizedClientException", 400),
                    "bad signature": ("InvalidSignatureException", 400), "denied": ("AccessDeniedException", 400),
                    "incomplete": ("IncompleteSignatureException", 400), "scope": ("InvalidSignatureException", 400),
                    "missing token": ("MissingAuthenticationTokenException", 403)}[kind]
    return AuthError(status, code, message or _message(kind), xml=False)


def _message(kind: str) -> str:
    return {"unknown key": UNKNOWN_KEY, "bad signature": BAD_SIGNATURE, "missing token": MISSING_TOKEN,
            "denied": "The x-moto-account-id header is for the sandbox's own tooling; sign with the "
                      "credentials of a principal of that account instead."}[kind]


# -- who holds a key ---------------------------------------------------------------------------------
@dataclass
class KeyHolder:
    secret: str
    token: str | None     # the session token an ASIA key must present
    active: bool


def holder(access_key: str) -> KeyHolder | None:
    """The credentials the sandbox issued under this access key id, if it did."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for account_id, account in list(iam_backends.items()):
        key = account["aws"].access_keys.get(access_key)
        if key is None:
            continue
        if key.user_name:
            return KeyHolder(key.secret_access_key, None, key.status == "Active")
        for session in list(sts_backends[account_id]["aws"].assumed_roles):
            if session.access_key_id == access_key:
                return KeyHolder(session.secret_access_key, session.session_token, True)
        return KeyHolder(key.secret_access_key, None, True)
    return None


def claims_a_sandbox_account(access_key: str) -> bool:
    """Is this an AKIA/ASIA key id whose encoded account is one the sandbox knows?"""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    found = _SANDBOX_KEY.fullmatch(access_key)
    if not found:
        return False
    number = int.from_bytes(base64.b32decode(found.group(2)), "big") - _ACCOUNT_OFFSET
    account = f"{number * 2 + (_BASE32.index(found.group(3)) >= 16):012d}"
    return account == DEFAULT_ACCOUNT_ID or account in iam_backends


# -- the signature ------------------------------------------------------------------------------------
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")
_SIGNED_HEADERS = re.compile(r"SignedHeaders=([^,\s]+)")
_SIGNATURE = re.compile(r"Signature=([0-9a-f]+)")


def signature_holds(request: Any, secret: str, token: str | None) -> bool:
    """Recompute the request's SigV4 signature with `secret`, as the client computed it
    (botocore's signer over the received method, path, query, signed headers and body)."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    auth = request.headers.get("Authorization", "")
    credential, signed, given = _CREDENTIAL.search(auth), _SIGNED_HEADERS.search(auth), _SIGNATURE.search(auth)
    amz_date = request.headers.get("X-Amz-Date")
    if not (auth.startswith("AWS4-HMAC-SHA256 ") and credential and signed and given and amz_date):
        return False
    access_key, _, region, service = credential.groups()
    names = signed.group(1).split(";")
    if "host" not in names:
        return False
    headers = {}
    for name in names:
        value = request.headers.get(name)
        if value is None and name == "host":
            value = request.host
        if value is None:
            return False
        headers[name] = value
    body = request.get_data(cache=True)
    declared = request.headers.get("X-Amz-Content-SHA256", "")
    if _HEX64.fullmatch(declared) and declared != hashlib.sha256(body).hexdigest():
        return False
    path = request.raw_path
    query = request.query_string.decode("latin-1")
    signable = AWSRequest(method=request.method, url=path + (f"?{query}" if query else ""), headers=headers,
                          data=body)
    signable.context["timestamp"] = amz_date
    signer = (S3SigV4Auth if service == "s3" else SigV4Auth)(Credentials(access_key, secret, token), service, region)
    if signer.signed_headers(signer.headers_to_sign(signable)) != signed.group(1):
        return False
    canonical = signer.canonical_request(signable)
    expected = signer.signature(signer.string_to_sign(signable, canonical), signable)
    return hmac.compare_digest(expected, given.group(1))


@functools.lru_cache(maxsize=1)
def _target_prefixes() -> dict[str, str]:
    import botocore.session

    session = botocore.session.get_session()
    return {session.get_service_model(name).metadata["targetPrefix"]: name for name in TARGET_SERVICES}


def target_service(target: str | None) -> str | None:
    """The service an X-Amz-Target header names ("TrentService.Encrypt" -> "kms"), if one of ours."""
    if not target:
        return None
    return _target_prefixes().get(target.strip().split(".", 1)[0])


def _service_of(request: Any) -> str:
    found = _CREDENTIAL.search(request.headers.get("Authorization", ""))
    if found:
        return found.group(4)
    target = request.headers.get("X-Amz-Target", "")
    return target_service(target) or ("s3" if not target else "json")


def _signed_by_query(request: Any) -> bool:
    args = request.args
    return "X-Amz-Signature" in args or "X-Amz-Credential" in args or "AWSAccessKeyId" in args


def _header_problem(auth: str, headers: Any, service: str) -> AuthError | None:
    """What is wrong with the form of a SigV4 Authorization header, as the service says it (None: nothing)."""
    s3 = service == "s3" or _protocol(service) == "rest-xml"
    algorithm, _, rest = auth.strip().partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        if not s3:
            return _error(service, "incomplete", _requires(auth, {}, headers))
        if algorithm == "AWS" and ":" in rest:  # Signature Version 2, which moto's S3 still reads
            return None
        return AuthError(400, "InvalidArgument", "Unsupported Authorization Type", xml=True, s3=True)
    parts = dict(part.strip().partition("=")[::2] for part in rest.split(",") if "=" in part)
    date = headers.get("X-Amz-Date")
    if not (parts.get("Credential") and parts.get("Signature") and parts.get("SignedHeaders")) or \
            not (date or headers.get("Date")):
        if s3 and parts.get("Credential") and parts.get("Signature") and parts.get("SignedHeaders"):
            return AuthError(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header",
                             xml=True, s3=True)
        return _error(service, "incomplete", "The authorization header is malformed; the authorization header "
                      "requires three components: Credential, SignedHeaders, and Signature." if s3
                      else _requires(auth, parts, headers))
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or (s3 and not all(scope)):
        return _error(service, "incomplete", "The authorization header is malformed; the Credential is mal-formed; "
                      'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".' if s3 else
                      "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term,"
                      f" got '{parts['Credential']}'")
    if scope[4] != "aws4_request":
        return _error(service, "scope", f"Credential should be scoped with a valid terminator: 'aws4_request', "
                                        f"not '{scope[4]}'. ")
    if date and not _AMZ_DATE.fullmatch(date):
        if s3:
            return AuthError(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header",
                             xml=True, s3=True)
        return _error(service, "incomplete", f"Date must be in ISO-8601 'basic format'. Got '{date}'. "
                                             "See http://en.wikipedia.org/wiki/ISO_8601")
    if date and scope[1] != date[:8]:
        return _error(service, "scope", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                                        f"date from HTTP: '{scope[1]}' != '{date[:8]}', from '{date}'.")
    if target_service(headers.get("X-Amz-Target")) == service and scope[3] != _signing_name(service):
        return _error(service, "scope", f"Credential should be scoped to correct service: '{_signing_name(service)}'. ")
    return None


def _requires(auth: str, parts: dict, headers: Any) -> str:
    """AWS's message for an Authorization header that lacks parts: each missing part, then the header."""
    missing = [f"Authorization header requires '{name}' parameter." for name in ("Credential", "Signature",
                                                                                  "SignedHeaders")
               if not parts.get(name)]
    if not (headers.get("X-Amz-Date") or headers.get("Date")):
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    return " ".join(missing + [f"Authorization={auth}"])


@functools.lru_cache(maxsize=64)
def _signing_name(service: str) -> str:
    try:
        import botocore.session

        return botocore.session.get_session().get_service_model(service).signing_name
    except Exception:
        return service


def check(request: Any, service: str | None = None) -> None:
    """Raise the service's error unless the request's credentials hold (see the module docstring).
    `service` is the service the request was routed to (moto's name for it)."""
    from moto.core.responses import BaseResponse

    headers = request.headers
    service = service or _service_of(request)
    if ACCOUNT_HEADER in headers and not hmac.compare_digest(headers.get(TOOLING_HEADER, ""), _TOOLING_SECRET):
        raise _error(service, "denied")
    auth = headers.get("Authorization", "")
    if auth:
        problem = _header_problem(auth, headers, service)
        if problem is not None:
            raise problem
    elif service == "kms" and not _signed_by_query(request):
        raise _error(service, "missing token")
    found = BaseResponse.access_key_regex.search(auth) if auth else None
    access_key = found.group(1) if found else (request.args.get("AWSAccessKeyId") or None)
    if not access_key:
        return
    key = holder(access_key)
    if key is None:
        if claims_a_sandbox_account(access_key):
            raise _error(service, "unknown key")
        return   # made-up credentials: the default account's root user, by design
    if not key.active:
        raise _error(service, "unknown key")
    if key.token is not None:
        presented = headers.get("X-Amz-Security-Token") or request.args.get("X-Amz-Security-Token") or ""
        if not hmac.compare_digest(presented, key.token):
            raise _error(service, "unknown key")
    if not signature_holds(request, key.secret, key.token):
        raise _error(service, "bad signature")


def _new_secret() -> str:
    """40 characters from the alphabet of AWS secret access keys (letters, digits, + and /)."""
    return base64.b64encode(secrets.token_bytes(30)).decode()


def _install() -> None:
    from moto.core.responses import BaseResponse
    from moto.iam.models import AccessKey

    @wrap(AccessKey, "__init__")
    def access_key_init(self, original, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)     # draws from the seeded generator as before
        self.secret_access_key = _new_secret()

    @wrap(BaseResponse, "setup_class")
    def setup_class(self, original, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        check(request, self.service_name)
        return original(self, request, *args, **kwargs)


_install()
