"""SSM Parameter Store SecureString values encrypted by KMS, as Parameter Store does.

moto 5.2 stores a SecureString as the text `kms:<key id>:<plaintext>` and
returns it to anyone (../shared/reference/moto-gaps.md). Here:

- PutParameter asks KMS to Encrypt the value on the caller's behalf, via
  ssm.<region>.amazonaws.com, with the encryption context
  {"PARAMETER_ARN": <parameter ARN>} that Parameter Store uses (Systems Manager
  User Guide, "How AWS Systems Manager Parameter Store uses AWS KMS"); the
  default key is aws/ssm (sources: parameter-store). Only the ciphertext is stored.
  Advanced-tier parameters (values up to 8 KB) use envelope encryption: a data
  key from GenerateDataKey encrypts the value (sources: parameter-store).
- GetParameter(s)/GetParametersByPath/GetParameterHistory with
  WithDecryption=False return the base64 ciphertext; with True they ask KMS
  to Decrypt, so a disabled key blocks the read.
- KMS failures come back as SSM reports them: `InvalidKeyId` carrying the
  KMS error, e.g. "Key '...' does not exist (Service: AWSKMS; Status Code:
  400; Error Code: NotFoundException; ...)" as seen from real Parameter Store
  (binxio/aws-ssm-copy#10); a KMS access denial is SSM's AccessDeniedException with the
  KMS message and the same suffix (as real Parameter Store answers a reader that may call
  ssm:GetParameter but not kms:Decrypt, tryolabs/aws-workshop#6).
"""
from __future__ import annotations

import base64
import contextvars
import functools
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import dispatch
from .errors import KmsError
from .patching import remember_caller

DEFAULT_KEY = "alias/aws/ssm"
_ENVELOPE_PREFIX = "kmslab-envelope:"   # advanced tier: base64(JSON{k, n, c})

#: (account, region, access key) of the SSM request being served
# (account, Region, access key) of the SSM request being handled; set by _install().
_request: contextvars.ContextVar[tuple[str, str, str | None] | None]


def _ssm_error(exc: KmsError) -> Exception:
    from moto.ssm.exceptions import AccessDeniedException, SSMException

    suffix = f" (Service: AWSKMS; Status Code: {exc.status}; Error Code: {exc.code})"
    if exc.code == "AccessDeniedException":
        return AccessDeniedException(exc.message + suffix)
    return SSMException("InvalidKeyId", exc.message + suffix)


def _kms(parameter, operation: str, params: dict) -> dict:
    account, region, access_key = _request.get() or (
        parameter.account_id, os.environ.get("AWS_DEFAULT_REGION", "us-east-1"), None)
    call = dispatch.KmsCall(operation=operation, params=params, account_id=account, region=region,
                            access_key=access_key, via_service=f"ssm.{region}.amazonaws.com")
    try:
        return dispatch.invoke(call)
    except KmsError as exc:
        raise _ssm_error(exc) from None


def _context(parameter) -> dict[str, str]:
    from moto.ssm.utils import parameter_arn

    request = _request.get()
    region = request[1] if request else os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    return {"PARAMETER_ARN": parameter_arn(parameter.account_id, region, parameter.name)}


def encrypt(self, value: str) -> str:
    """Parameter.encrypt: the stored SecureString value is a KMS ciphertext (base64)."""
    key_id = self.keyid or DEFAULT_KEY
    context = _context(self)
    if (self.tier or "Standard") != "Advanced":
        out = _kms(self, "Encrypt", {"KeyId": key_id, "EncryptionContext": context,
                                     "Plaintext": base64.b64encode(value.encode()).decode()})
        return out["CiphertextBlob"]
    out = _kms(self, "GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_256",
                                         "EncryptionContext": context})
    nonce = os.urandom(12)
    sealed = AESGCM(base64.b64decode(out["Plaintext"])).encrypt(nonce, value.encode(), None)
    envelope = {"k": out["CiphertextBlob"], "n": base64.b64encode(nonce).decode(),
                "c": base64.b64encode(sealed).decode()}
    return _ENVELOPE_PREFIX + base64.b64encode(json.dumps(envelope).encode()).decode()


def decrypt(self, value: str) -> str | None:
    """Parameter.decrypt: ask KMS to Decrypt (only reached WithDecryption=True)."""
    if self.parameter_type != "SecureString":
        return value
    context = _context(self)
    if value.startswith(_ENVELOPE_PREFIX):
        envelope = json.loads(base64.b64decode(value[len(_ENVELOPE_PREFIX):]))
        out = _kms(self, "Decrypt", {"CiphertextBlob": envelope["k"], "EncryptionContext": context})
        return AESGCM(base64.b64decode(out["Plaintext"])).decrypt(
            base64.b64decode(envelope["n"]), base64.b64decode(envelope["c"]), None).decode()
    out = _kms(self, "Decrypt", {"CiphertextBlob": value, "EncryptionContext": context})
    return base64.b64decode(out["Plaintext"]).decode()


def _install() -> None:
    from moto.ssm.models import Parameter
    from moto.ssm.responses import SimpleSystemManagerResponse

    if getattr(Parameter, "_kmslab_secure", False):
        return
    Parameter._kmslab_secure = True
    Parameter.encrypt = encrypt
    Parameter.decrypt = decrypt

    from moto.ssm.models import SimpleSystemManagerBackend

    put_parameter = SimpleSystemManagerBackend.put_parameter

    @functools.wraps(put_parameter)
    def put_parameter_or_nothing(self, name, *args, **kwargs):
        # A refused KMS call must leave no trace (moto's dict of versions is a defaultdict).
        try:
            return put_parameter(self, name, *args, **kwargs)
        except Exception:
            if dict.get(self._parameters, name) == []:  # plain dict access: no lazy loading
                dict.pop(self._parameters, name)
            raise

    SimpleSystemManagerBackend.put_parameter = put_parameter_or_nothing

    global _request
    _request = remember_caller(SimpleSystemManagerResponse, "kmslab_ssm_request")


_install()
