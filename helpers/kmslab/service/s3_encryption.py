"""S3 server-side encryption that really uses keys: SSE-S3 by default, SSE-KMS, SSE-C.

moto 5.2 stores every object in plaintext, never calls KMS for SSE-KMS and
serves SSE-C objects to anyone (../shared/reference/moto-gaps.md). Here moto's
S3 request handlers are wrapped so that, for every client:

- a new bucket has SSE-S3 as its default encryption and blocks SSE-C
  (sources: sse-s3-default, sse-c-blocked-by-default); DeleteBucketEncryption goes back to SSE-S3;
- an SSE-KMS PUT asks KMS for a data key (GenerateDataKey, on the caller's
  behalf, via s3.<region>.amazonaws.com), stores the object AES-256-GCM
  encrypted under it and keeps only the encrypted data key (sources: data-key-workflow, sse-kms);
  a GET asks KMS to Decrypt that data key, so a disabled or missing key fails
  the GET (sources: quotas-count-service-requests). HEAD needs no KMS call (S3 API HeadObject doc).
- without a key id S3 uses the AWS managed key aws/s3 and reports its ARN (sources: sse-kms);
- with an S3 Bucket Key, S3 asks KMS for a bucket-level key once per requester
  per bucket-key lifetime and derives object keys from it (sources: s3-bucket-keys);
- SSE-C objects are encrypted with the customer's key, S3 keeps only a salted
  HMAC of it (sources: sse-c), and GET/HEAD must present the same key.

Error shapes follow S3: KMS errors come back as `KMS.<KmsErrorCode>` with
HTTP 400, e.g. `KMS.NotFoundException: Invalid keyId ...` (seen from real S3
in aws/aws-cli#4507) and `KMS.DisabledException`; a KMS access denial is S3's
403 AccessDenied.

Not modelled: multipart uploads (stored as moto stores them), SSE-C over HTTP
(AWS requires HTTPS, sources: sse-c; the local endpoint is plain HTTP), DSSE-KMS's
second layer: a DSSE-KMS object is encrypted once, under one KMS data key (one
GenerateDataKey), because AWS does not document how many KMS requests the two layers
make. DSSE-KMS reports SSEKMSKeyId (aws/s3 by default) and never uses a bucket key (sources: s3-bucket-keys).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .. import clock
from . import dispatch, resets
from .patching import wrap
from .errors import KmsError

SSE_S3 = "AES256"
SSE_DSSE = "aws:kms:dsse"
SSE_KMS = ("aws:kms", SSE_DSSE)
AWS_MANAGED_S3_KEY = "alias/aws/s3"
#: AWS: a bucket key is "used for a time-limited period" (S3 User Guide,
#: bucket-key.html); the period is not published. The sandbox uses one hour of
#: sandbox time, so a lesson can advance the clock to see a new GenerateDataKey.
BUCKET_KEY_LIFETIME_SECONDS = 3600
#: SSE-C: blocked by default on new general purpose buckets since April 2026 (sources: sse-c-blocked-by-default).
DEFAULT_BLOCKED = ["SSE-C"]

_H_SSE = "x-amz-server-side-encryption"
_H_KMS_KEY = "x-amz-server-side-encryption-aws-kms-key-id"
_H_CONTEXT = "x-amz-server-side-encryption-context"
_H_BUCKET_KEY = "x-amz-server-side-encryption-bucket-key-enabled"
_H_C_ALG = "x-amz-server-side-encryption-customer-algorithm"
_H_C_KEY = "x-amz-server-side-encryption-customer-key"
_H_C_MD5 = "x-amz-server-side-encryption-customer-key-md5"
_H_CS_ALG = "x-amz-copy-source-server-side-encryption-customer-algorithm"
_H_CS_KEY = "x-amz-copy-source-server-side-encryption-customer-key"
_H_CS_MD5 = "x-amz-copy-source-server-side-encryption-customer-key-md5"


def default_encryption() -> dict[str, Any]:
    """The configuration every general purpose bucket starts with (sources: sse-s3-default, sse-c-blocked-by-default)."""
    return {"Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": SSE_S3},
                     "BucketKeyEnabled": "false",
                     "BlockedEncryptionTypes": {"EncryptionType": list(DEFAULT_BLOCKED)}}}


@dataclass
class Sealed:
    """How one stored object is encrypted; kept on moto's FakeKey (`_kmslab_sealed`)."""

    kind: str                      # "aws:kms" or "SSE-C"
    size: int                      # plaintext length (what S3 reports)
    nonce: bytes
    key_arn: str | None = None
    encrypted_data_key: bytes | None = None   # KMS CiphertextBlob (object or bucket key)
    context: dict[str, str] = field(default_factory=dict)
    bucket_key: bool = False
    salt: bytes | None = None                 # bucket key derivation / SSE-C HMAC salt
    customer_key_hmac: bytes | None = None
    customer_key_md5: str | None = None


class S3Error(Exception):
    """An S3 error response: status, code, message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message

    def response(self, head: bool = False):
        if head:  # HEAD responses carry no body (S3 API HeadObject doc)
            return self.status, {}, ""
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                f"{self.code}</Code><Message>{_xml(self.message)}</Message></Error>")
        return self.status, {"Content-Type": "application/xml"}, body


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- KMS on the requester's behalf --------------------------------------------------------

def _kms(resp, bucket, operation: str, params: dict[str, Any]) -> dict:
    """Call KMS as S3 does: for the requester, via s3.<region>.amazonaws.com (sources: condition-keys, quotas-count-service-requests)."""
    region = getattr(bucket, "region_name", None) or resp.region
    call = dispatch.KmsCall(operation=operation, params=params, account_id=resp.current_account,
                            region=region, access_key=_access_key(resp),
                            via_service=f"s3.{region}.amazonaws.com")
    try:
        return dispatch.invoke(call)
    except KmsError as exc:
        if exc.code == "AccessDeniedException":
            raise S3Error(403, "AccessDenied", exc.message) from None
        raise S3Error(400, f"KMS.{exc.code}", exc.message) from None


def _access_key(resp) -> str | None:
    try:
        return resp.get_access_key()
    except Exception:  # unsigned request
        return None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# -- bucket keys: one KMS data key per requester per lifetime (sources: s3-bucket-keys) -------------

_bucket_keys: dict[tuple, tuple[float, bytes, bytes, str]] = {}
_opened_bucket_keys: dict[tuple, tuple[float, bytes]] = {}
_lock = threading.Lock()


@resets.on_reset
def _forget_bucket_keys() -> None:
    with _lock:
        _bucket_keys.clear()
        _opened_bucket_keys.clear()


def _derive(bucket_key: bytes, salt: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt, b"kmslab s3 object key").derive(bucket_key)


# -- sealing and opening ------------------------------------------------------------------

def _seal_kms(resp, bucket, obj_arn: str, bucket_arn: str, key_id: str, bucket_key: bool,
              extra_context: dict[str, str], plaintext: bytes) -> tuple[Sealed, bytes]:
    """Encrypt `plaintext` under a KMS data key. Calls KMS before anything is stored."""
    now = clock.current().time()
    context = dict(extra_context)
    # Default context: the object ARN, or the bucket ARN with a bucket key (sources: sse-kms;
    # S3 User Guide UsingKMSEncryption.html#encryption-context).
    context["aws:s3:arn"] = bucket_arn if bucket_key else obj_arn
    if bucket_key:
        cache_key = (bucket_arn, key_id, _access_key(resp), json.dumps(context, sort_keys=True))
        with _lock:
            cached = _bucket_keys.get(cache_key)
        if cached is None or cached[0] <= now:
            out = _kms(resp, bucket, "GenerateDataKey",
                       {"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": context})
            cached = (now + BUCKET_KEY_LIFETIME_SECONDS, base64.b64decode(out["Plaintext"]),
                      base64.b64decode(out["CiphertextBlob"]), out["KeyId"])
            with _lock:
                _bucket_keys[cache_key] = cached
        _, secret, blob, arn = cached
        salt = os.urandom(16)
        data_key = _derive(secret, salt)
    else:
        out = _kms(resp, bucket, "GenerateDataKey",
                   {"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": context})
        data_key, blob, arn = (base64.b64decode(out["Plaintext"]),
                               base64.b64decode(out["CiphertextBlob"]), out["KeyId"])
        salt = None
    nonce = os.urandom(12)
    sealed = Sealed("aws:kms", len(plaintext), nonce, key_arn=arn, encrypted_data_key=blob,
                    context=context, bucket_key=bucket_key, salt=salt)
    return sealed, AESGCM(data_key).encrypt(nonce, plaintext, None)


def _open_kms(resp, bucket, sealed: Sealed, stored: bytes) -> bytes:
    """Decrypt a stored SSE-KMS object: KMS Decrypt of its data key (or bucket key)."""
    params = {"CiphertextBlob": _b64(sealed.encrypted_data_key), "EncryptionContext": sealed.context}
    if sealed.bucket_key:
        now = clock.current().time()
        cache_key = (sealed.encrypted_data_key, _access_key(resp))
        with _lock:
            cached = _opened_bucket_keys.get(cache_key)
        if cached is None or cached[0] <= now:
            out = _kms(resp, bucket, "Decrypt", params)
            cached = (now + BUCKET_KEY_LIFETIME_SECONDS, base64.b64decode(out["Plaintext"]))
            with _lock:
                _opened_bucket_keys[cache_key] = cached
        data_key = _derive(cached[1], sealed.salt)
    else:
        data_key = base64.b64decode(_kms(resp, bucket, "Decrypt", params)["Plaintext"])
    return AESGCM(data_key).decrypt(sealed.nonce, stored, None)


def _customer_key(headers, alg_h: str, key_h: str, md5_h: str) -> tuple[bytes, str] | None:
    """The SSE-C key a request carries, validated as S3 does (S3 User Guide,
    ServerSideEncryptionCustomerKeys.html), or None if it carries none."""
    alg = headers.get(alg_h)
    if alg is None and headers.get(key_h) is None:
        return None
    if alg != "AES256":
        raise S3Error(400, "InvalidEncryptionAlgorithmError",
                      "The encryption request you specified is not valid. Supported value: AES256.")
    try:
        key = base64.b64decode(headers.get(key_h) or "", validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise S3Error(400, "InvalidArgument",
                      "The secret key was invalid for the specified algorithm.")
    md5 = _b64(hashlib.md5(key).digest())
    given = headers.get(md5_h)
    if given is not None and given != md5:
        raise S3Error(400, "InvalidArgument",
                      "The calculated MD5 hash of the key did not match the hash that was provided.")
    return key, md5


def _seal_customer(key: bytes, md5: str, plaintext: bytes) -> tuple[Sealed, bytes]:
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = Sealed("SSE-C", len(plaintext), nonce, salt=salt, customer_key_md5=md5,
                    customer_key_hmac=hmac.new(salt, key, hashlib.sha256).digest())
    return sealed, AESGCM(key).encrypt(nonce, plaintext, None)


def _open_customer(headers, sealed: Sealed, stored: bytes, copy_source: bool = False) -> bytes:
    names = (_H_CS_ALG, _H_CS_KEY, _H_CS_MD5) if copy_source else (_H_C_ALG, _H_C_KEY, _H_C_MD5)
    given = _customer_key(headers, *names)
    if given is None:
        raise S3Error(400, "InvalidRequest",
                      "The object was stored using a form of Server Side Encryption. "
                      "The correct parameters must be provided to retrieve the object.")
    key = given[0]
    if not hmac.compare_digest(hmac.new(sealed.salt, key, hashlib.sha256).digest(),
                               sealed.customer_key_hmac):
        raise S3Error(403, "AccessDenied",
                      "Requests specifying Server Side Encryption with Customer provided keys "
                      "must provide the correct secret key.")
    return AESGCM(key).decrypt(sealed.nonce, stored, None)


def _customer_headers(sealed: Sealed) -> dict[str, str]:
    return {_H_C_ALG: "AES256", _H_C_MD5: sealed.customer_key_md5}


# -- what a write asks for -----------------------------------------------------------------

def _blocked(bucket) -> list[str]:
    rule = (bucket.encryption or {}).get("Rule") or {}
    if "BlockedEncryptionTypes" not in rule:
        return list(getattr(bucket, "_kmslab_blocked", []))
    types = (rule.get("BlockedEncryptionTypes") or {}).get("EncryptionType") or []
    return [types] if isinstance(types, str) else list(types)


def _plan(resp, bucket, headers) -> dict[str, Any]:
    """The encryption a write gets: its own headers, else the bucket default."""
    customer = _customer_key(headers, _H_C_ALG, _H_C_KEY, _H_C_MD5)
    if customer is not None:
        if "SSE-C" in _blocked(bucket):  # sources: sse-c-blocked-by-default
            raise S3Error(403, "AccessDenied",
                          "Requests specifying Server Side Encryption with Customer provided "
                          "keys are blocked for this bucket.")
        return {"kind": "SSE-C", "customer": customer}
    rule = (bucket.encryption or {}).get("Rule") or {}
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    algorithm = headers.get(_H_SSE) or default.get("SSEAlgorithm") or SSE_S3
    if algorithm not in SSE_KMS:
        return {"kind": algorithm}
    key_id = headers.get(_H_KMS_KEY)
    if key_id is None and not headers.get(_H_SSE):
        key_id = default.get("KMSMasterKeyID")
    bucket_key = headers.get(_H_BUCKET_KEY)
    if bucket_key is None:
        bucket_key = rule.get("BucketKeyEnabled") if not headers.get(_H_SSE) or \
            headers.get(_H_SSE) == default.get("SSEAlgorithm") else None
    context: dict[str, str] = {}
    if headers.get(_H_CONTEXT):
        try:
            context = json.loads(base64.b64decode(headers[_H_CONTEXT]))
        except ValueError:
            raise S3Error(400, "InvalidArgument",
                          "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map") from None
    # S3 Bucket Keys are not supported for DSSE-KMS (sources: s3-bucket-keys): each DSSE-KMS object
    # gets its own data key even when the request or the bucket default asks for one.
    # (Whether S3 rejects such a request, and with which error, is not documented.)
    use_bucket_key = str(bucket_key).lower() == "true" and algorithm != SSE_DSSE
    return {"kind": "aws:kms", "algorithm": algorithm,
            "key_id": key_id or AWS_MANAGED_S3_KEY,
            "bucket_key": use_bucket_key, "context": context}


def _seal(resp, bucket, key_name: str, plan: dict[str, Any], plaintext: bytes):
    if plan["kind"] == "SSE-C":
        return _seal_customer(*plan["customer"], plaintext)
    if plan["kind"] == "aws:kms":
        part = bucket.partition if hasattr(bucket, "partition") else "aws"
        return _seal_kms(resp, bucket, f"arn:{part}:s3:::{bucket.name}/{key_name}",
                         f"arn:{part}:s3:::{bucket.name}", plan["key_id"], plan["bucket_key"],
                         plan["context"], plaintext)
    return None, plaintext


def _store(fake_key, sealed: Sealed | None, plan: dict[str, Any], ciphertext: bytes) -> None:
    """Put the sealed bytes into moto's object, with the reported encryption settings."""
    fake_key._kmslab_sealed = sealed
    if sealed is None:
        fake_key.encryption = plan["kind"]
        return
    fake_key.value = ciphertext
    if sealed.kind == "SSE-C":
        fake_key.encryption = None
        fake_key.kms_key_id = None
        fake_key.bucket_key_enabled = None
    else:
        fake_key.encryption = plan["algorithm"]
        fake_key.kms_key_id = sealed.key_arn   # S3 reports the key ARN (sources: sse-kms)
        fake_key.bucket_key_enabled = "true" if sealed.bucket_key else None


def _sealed(fake_key) -> Sealed | None:
    return getattr(fake_key, "_kmslab_sealed", None)


def _plaintext(resp, bucket, fake_key, headers, copy_source: bool = False) -> bytes:
    sealed = _sealed(fake_key)
    stored = fake_key.value
    if sealed is None:
        return stored
    if sealed.kind == "SSE-C":
        return _open_customer(headers, sealed, stored, copy_source)
    return _open_kms(resp, bucket, sealed, stored)


# -- the wrapped moto handlers -------------------------------------------------------------

def _fix_headers(headers: dict, fake_key, drop_length: bool = True) -> None:
    for name in (_H_SSE, _H_KMS_KEY, _H_BUCKET_KEY):
        headers.pop(name, None)
    headers.update(fake_key.response_dict)
    sealed = _sealed(fake_key)
    if sealed is not None and sealed.kind == "SSE-C":
        headers.update(_customer_headers(sealed))
    if drop_length:
        headers.pop("content-length", None)


def _install() -> None:
    from moto.s3.models import FakeKey, S3Backend
    from moto.s3.responses import S3Response

    if getattr(S3Response, "_kmslab_sse", False):
        return
    S3Response._kmslab_sse = True

    # S3 reports the plaintext size; moto would report the stored (sealed) size.
    original_size = FakeKey.size

    def size(self) -> int:
        sealed = _sealed(self)
        return sealed.size if sealed is not None else original_size.fget(self)

    FakeKey.size = property(size)

    # moto reports the KMS key id only for aws:kms; S3 reports it for DSSE-KMS too
    # (S3 API PutObject/GetObject/HeadObject: SSEKMSKeyId "if present, indicates the ID
    # of the KMS key that was used for object encryption"; sources: dsse-kms).
    original_response_dict = FakeKey.response_dict

    def response_dict(self) -> dict:
        headers = original_response_dict.fget(self)
        if self.encryption == SSE_DSSE and self.kms_key_id is not None:
            headers[_H_KMS_KEY] = self.kms_key_id
        return headers

    FakeKey.response_dict = property(response_dict)

    @wrap(S3Backend, "create_bucket")
    def create_bucket(self, original, *args, **kwargs):
        bucket = original(self, *args, **kwargs)
        bucket.encryption = default_encryption()   # sources: sse-s3-default
        bucket._kmslab_blocked = list(DEFAULT_BLOCKED)
        return bucket

    @wrap(S3Backend, "put_bucket_encryption")
    def put_bucket_encryption(self, original, bucket_name, encryption):
        bucket = self.get_bucket(bucket_name)
        rule = encryption.get("Rule") or {}
        if "BlockedEncryptionTypes" in rule:
            bucket._kmslab_blocked = _blocked(type("B", (), {"encryption": encryption})())
        else:  # the setting is kept when a new configuration does not name it
            rule["BlockedEncryptionTypes"] = {"EncryptionType": _blocked(bucket)}
        return original(self, bucket_name, encryption)

    @wrap(S3Backend, "delete_bucket_encryption")
    def delete_bucket_encryption(self, original, bucket_name):
        # "resets the default encryption for the bucket as SSE-S3" (S3 API DeleteBucketEncryption)
        bucket = self.get_bucket(bucket_name)
        blocked = _blocked(bucket)
        original(self, bucket_name)
        bucket.encryption = default_encryption()
        bucket.encryption["Rule"]["BlockedEncryptionTypes"] = {"EncryptionType": blocked}

    @wrap(S3Response, "get_bucket_encryption")
    def get_bucket_encryption(self, original):
        from moto.core.responses import ActionResult

        encryption = self.backend.get_bucket_encryption(self.bucket_name)
        if not encryption:
            return original(self)
        rule = encryption["Rule"]
        blocked = _blocked(self.backend.get_bucket(self.bucket_name))
        result_rule: dict[str, Any] = {
            "ApplyServerSideEncryptionByDefault": rule["ApplyServerSideEncryptionByDefault"],
            "BucketKeyEnabled": str(rule.get("BucketKeyEnabled")).lower() == "true",
            "BlockedEncryptionTypes": {"EncryptionType": blocked or ["NONE"]},
        }
        self.data["Action"] = "GetBucketEncryption"
        return self.serialized(ActionResult(
            {"ServerSideEncryptionConfiguration": {"Rules": [result_rule]}}))

    @wrap(S3Response, "put_object")
    def put_object(self, original):
        bucket = self.backend.get_bucket(self.bucket_name)
        key_name = self.parse_key_name()
        try:
            plan = _plan(self, bucket, self.headers)
            sealed, ciphertext = _seal(self, bucket, key_name, plan, self.body or b"")
        except S3Error as exc:
            return exc.response()
        status, headers, body = original(self)
        fake_key = self.backend.get_object(self.bucket_name, key_name)
        _store(fake_key, sealed, plan, ciphertext)
        _fix_headers(headers, fake_key)
        return status, headers, body

    @wrap(S3Response, "_get_key")
    def _get_key(self, original, *args, **kwargs):
        key, not_modified = original(self, *args, **kwargs)
        self._kmslab_key = key
        return key, not_modified

    @wrap(S3Response, "get_object")
    def get_object(self, original):
        self._kmslab_key = None
        status, headers, body = original(self)
        fake_key = self._kmslab_key
        if fake_key is None or _sealed(fake_key) is None:
            return status, headers, body
        sealed = _sealed(fake_key)
        try:
            if sealed.kind == "SSE-C" or status in (200, 206):
                plaintext = _plaintext(self, self.backend.get_bucket(self.bucket_name),
                                       fake_key, self.headers)
        except S3Error as exc:
            return exc.response()
        if sealed.kind == "SSE-C":
            headers.update(_customer_headers(sealed))
        if status in (200, 206):
            body = plaintext
        return status, headers, body

    @wrap(S3Response, "head_object")
    def head_object(self, original, bucket_name, query, key_name, headers):
        version_id = query.get("versionId", [None])[0]
        try:
            fake_key = self.backend.head_object(bucket_name, key_name, version_id=version_id)
        except Exception:
            fake_key = None
        sealed = _sealed(fake_key) if fake_key is not None else None
        if sealed is not None and sealed.kind == "SSE-C":
            # HEAD of an SSE-C object needs the same key (S3 API HeadObject doc);
            # S3 checks it against the stored HMAC, without decrypting the data.
            try:
                given = _customer_key(headers, _H_C_ALG, _H_C_KEY, _H_C_MD5)
                if given is None:
                    _open_customer(headers, sealed, b"")
                if not hmac.compare_digest(
                        hmac.new(sealed.salt, given[0], hashlib.sha256).digest(),
                        sealed.customer_key_hmac):
                    raise S3Error(403, "AccessDenied", "wrong customer key")
            except S3Error as exc:
                return exc.response(head=True)
        status, out_headers, body = original(self, bucket_name, query, key_name, headers)
        if sealed is not None and sealed.kind == "SSE-C":
            out_headers.update(_customer_headers(sealed))
        return status, out_headers, body

    @wrap(S3Response, "copy_object")
    def copy_object(self, original):
        # S3 decrypts the source (KMS Decrypt, or the copy-source SSE-C key) and
        # encrypts the copy as the request or the destination bucket asks.
        from urllib.parse import parse_qs, unquote, urlparse

        source = self.headers.get("x-amz-copy-source")
        if isinstance(source, bytes):
            source = source.decode()
        parsed = urlparse(source or "")
        try:
            src_bucket, src_key = unquote(parsed.path).lstrip("/").split("/", 1)
        except ValueError:
            return original(self)
        version = parse_qs(parsed.query).get("versionId", [None])[0]
        source_key = self.backend.get_object(src_bucket, src_key, version_id=version)
        if source_key is None:
            return original(self)
        bucket = self.backend.get_bucket(self.bucket_name)
        key_name = self.parse_key_name()
        try:
            plaintext = _plaintext(self, self.backend.get_bucket(src_bucket), source_key,
                                   self.headers, copy_source=True)
            plan = _plan(self, bucket, self.headers)
            sealed, ciphertext = _seal(self, bucket, key_name, plan, plaintext)
        except S3Error as exc:
            return exc.response()
        status, headers, body = original(self)
        fake_key = self.backend.get_object(self.bucket_name, key_name)
        if sealed is None:
            fake_key.value = plaintext
        _store(fake_key, sealed, plan, ciphertext)
        _fix_headers(headers, fake_key, drop_length=False)
        return status, headers, body


_install()
