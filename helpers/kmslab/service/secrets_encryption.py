"""Secrets Manager secret values encrypted through KMS, as Secrets Manager does.

moto 5.2 keeps every secret value in plaintext and never calls KMS: a disabled
key does not block GetSecretValue, a nonexistent KmsKeyId is accepted, and no
KMS request appears in the audit trail. Here moto's Secrets Manager backend is
wrapped so that, for every client (AWS Secrets Manager User Guide,
security-encryption.html; AWS KMS Developer Guide, services-secrets-manager.md):

- each new secret value (CreateSecret, PutSecretValue, UpdateSecret with a value)
  is encrypted outside KMS (AES-256-GCM) under its own 256-bit data key from
  GenerateDataKey, asked on the caller's behalf via
  secretsmanager.<region>.amazonaws.com; only the ciphertext and the encrypted
  data key are kept (sources: secrets-manager: a unique data key per version);
- the encryption context is {"SecretARN": <secret ARN>, "SecretVersionId": <version id>}
  ("Secrets Manager encryption context" in the KMS Developer Guide);
- the key is the secret's KmsKeyId, else the AWS managed key aws/secretsmanager (sources: secrets-manager);
- when a request establishes or changes the key (KmsKeyId given), Secrets Manager
  first checks the caller may use it: GenerateDataKey then Decrypt with
  SecretVersionId "RequestToValidateKeyAccess" (same guide, "Validating access");
- GetSecretValue (and BatchGetSecretValue) asks KMS to Decrypt the version's data
  key, so a disabled or pending-deletion key blocks the read; an idempotent retry
  of PutSecretValue/UpdateSecret with the same ClientRequestToken decrypts the
  stored value to compare it (same guide).

Errors, as Secrets Manager reports them:
- a KMS access denial: AccessDeniedException "Access to KMS is not allowed"
  (HTTP 400; seen from real Secrets Manager in aws/aws-cdk#7677 and
  external-secrets/kubernetes-external-secrets#838);
- a key id or alias that does not exist: InvalidParameterException (boto/boto3#1533;
  the message wording is the sandbox's);
- any other KMS failure while encrypting (disabled key, pending deletion):
  EncryptionFailure; while decrypting: DecryptionFailure, with the messages of
  botocore's Secrets Manager model.

Not modelled: re-encrypting the AWSCURRENT/AWSPENDING/AWSPREVIOUS versions when
UpdateSecret changes the key (each version keeps the key it was sealed under),
replica secrets re-encrypted under a replica-Region key (replicas read the
primary's versions, decrypted in the primary key's Region).
"""
from __future__ import annotations

import base64
import contextvars
import functools
import inspect
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import dispatch
from .errors import KmsError
from .patching import remember_caller

DEFAULT_KEY = "alias/aws/secretsmanager"
VALIDATION_VERSION_ID = "RequestToValidateKeyAccess"
_SEALED = "_kmslab_sealed"          # on moto's version dict: {"key_arn", "blob", "context"}
_FIELDS = ("secret_string", "secret_binary")

ENCRYPTION_FAILURE = ("Secrets Manager can't encrypt the protected secret text using the provided "
                      "KMS key. Check that the KMS key is available, enabled, and not in an invalid "
                      "state.")
DECRYPTION_FAILURE = "Secrets Manager can't decrypt the protected secret text using the provided KMS key."
KMS_NOT_ALLOWED = "Access to KMS is not allowed"

#: (caller account, Region, access key) of the Secrets Manager request being served
# (account, Region, access key) of the Secrets Manager request being handled; set by _install().
_request: contextvars.ContextVar[tuple[str, str, str | None] | None]


# -- Secrets Manager errors ---------------------------------------------------------------

def _errors():
    from moto.secretsmanager.exceptions import (InvalidParameterException,
                                                InvalidRequestException,
                                                SecretsManagerClientError)

    class EncryptionFailure(SecretsManagerClientError):
        def __init__(self, message: str = ENCRYPTION_FAILURE):
            super().__init__("EncryptionFailure", message)

    # A subclass of InvalidRequestException so that moto's BatchGetSecretValue reports
    # it per secret (in Errors) instead of failing the whole batch; its code stays
    # DecryptionFailure.
    class DecryptionFailure(InvalidRequestException):
        def __init__(self, message: str = DECRYPTION_FAILURE):
            SecretsManagerClientError.__init__(self, "DecryptionFailure", message)

    class AccessDeniedException(InvalidRequestException):
        def __init__(self, message: str = KMS_NOT_ALLOWED):
            SecretsManagerClientError.__init__(self, "AccessDeniedException", message)

    return EncryptionFailure, DecryptionFailure, AccessDeniedException, InvalidParameterException


def _secrets_error(exc: KmsError, decrypting: bool) -> Exception:
    encryption_failure, decryption_failure, access_denied, invalid_parameter = _errors()
    if exc.code == "AccessDeniedException":
        return access_denied()
    if exc.code == "NotFoundException" and not decrypting:
        return invalid_parameter(f"The KMS key you specified is not valid: {exc.message}")
    return decryption_failure() if decrypting else encryption_failure()


# -- KMS on the caller's behalf -----------------------------------------------------------

def _kms(backend, operation: str, params: dict, decrypting: bool, region: str | None = None) -> dict:
    """Call KMS as Secrets Manager does: for the caller, via secretsmanager.<region>.amazonaws.com."""
    account, request_region, access_key = _request.get() or (
        backend.account_id, backend.region_name, None)
    region = region or request_region
    call = dispatch.KmsCall(operation=operation, params=params, account_id=account, region=region,
                            access_key=access_key,
                            via_service=f"secretsmanager.{request_region}.amazonaws.com")
    try:
        return dispatch.invoke(call)
    except KmsError as exc:
        raise _secrets_error(exc, decrypting) from None


def _context(arn: str, version_id: str) -> dict[str, str]:
    return {"SecretARN": arn, "SecretVersionId": version_id}


def _validate_key_access(backend, key_id: str, arn: str) -> None:
    """What Secrets Manager does when a request establishes or changes the key."""
    context = _context(arn, VALIDATION_VERSION_ID)
    out = _kms(backend, "GenerateDataKey",
               {"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": context}, False)
    _kms(backend, "Decrypt", {"CiphertextBlob": out["CiphertextBlob"], "EncryptionContext": context},
         True, region=_key_region(out["KeyId"]))


def _key_region(key_arn: str) -> str | None:
    parts = key_arn.split(":")
    return parts[3] if len(parts) > 3 and key_arn.startswith("arn:") else None


def _to_bytes(value: Any) -> tuple[bytes, str]:
    return (value, "bytes") if isinstance(value, bytes) else (str(value).encode(), "str")


def seal(backend, key_id: str, arn: str, version_id: str, values: dict[str, Any]) -> tuple[dict, dict]:
    """Encrypt a version's values under a new data key. Returns (stored values, seal record)."""
    context = _context(arn, version_id)
    out = _kms(backend, "GenerateDataKey",
               {"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": context}, False)
    aead = AESGCM(base64.b64decode(out["Plaintext"]))
    stored, kinds = {}, {}
    for name, value in values.items():
        if value is None:
            continue
        data, kinds[name] = _to_bytes(value)
        nonce = os.urandom(12)
        stored[name] = base64.b64encode(nonce + aead.encrypt(nonce, data, name.encode())).decode()
    record = {"key_arn": out["KeyId"], "blob": out["CiphertextBlob"], "context": context,
              "kinds": kinds}
    return stored, record


def unseal(backend, version: dict) -> dict[str, Any]:
    """A sealed version's plaintext values, after KMS Decrypt of its data key."""
    record = version[_SEALED]
    out = _kms(backend, "Decrypt", {"CiphertextBlob": record["blob"],
                                    "EncryptionContext": record["context"]},
               True, region=_key_region(record["key_arn"]))
    aead = AESGCM(base64.b64decode(out["Plaintext"]))
    values = {}
    for name, kind in record["kinds"].items():
        raw = base64.b64decode(version[name])
        data = aead.decrypt(raw[:12], raw[12:], name.encode())
        values[name] = data if kind == "bytes" else data.decode()
    return values


def is_sealed(version: dict) -> bool:
    return _SEALED in version


# -- the wrapped moto backend -------------------------------------------------------------

def _install() -> None:
    from moto.secretsmanager.models import ReplicaSecret, SecretsManagerBackend
    from moto.secretsmanager.responses import SecretsManagerResponse

    if getattr(SecretsManagerBackend, "_kmslab_kms", False):
        return
    SecretsManagerBackend._kmslab_kms = True

    add_secret = SecretsManagerBackend._add_secret
    signature = inspect.signature(add_secret)

    @functools.wraps(add_secret)
    def _add_secret(self, *args, **kwargs):
        a = signature.bind(self, *args, **kwargs)
        a.apply_defaults()
        p = a.arguments
        values = {name: p[name] for name in _FIELDS}
        has_value = any(v is not None for v in values.values())
        explicit_key = p["kms_key_id"]
        existing = self.secrets.get(p["secret_id"])
        if isinstance(existing, ReplicaSecret) or (not has_value and not explicit_key):
            return add_secret(*a.args, **a.kwargs)
        p["version_id"] = self._from_client_request_token(p["version_id"])
        version_id = p["version_id"]
        if existing is not None:
            # The ARN is known: check and encrypt before moto stores anything.
            key_id = explicit_key or existing.kms_key_id or DEFAULT_KEY
            if explicit_key:
                _validate_key_access(self, key_id, existing.arn)
            record = None
            if has_value:
                stored, record = seal(self, key_id, existing.arn, version_id, values)
                p.update(stored)
            secret, new_version = add_secret(*a.args, **a.kwargs)
            if record is not None:
                secret.versions[version_id][_SEALED] = record
            return secret, new_version
        # A new secret: its ARN (random suffix) exists only once moto made it.
        secret, new_version = add_secret(*a.args, **a.kwargs)
        key_id = explicit_key or DEFAULT_KEY
        try:
            if explicit_key:
                _validate_key_access(self, key_id, secret.arn)
            if has_value:
                stored, record = seal(self, key_id, secret.arn, version_id, values)
                version = secret.versions[version_id]
                version.update(stored)
                version[_SEALED] = record
                for name in _FIELDS:   # moto's copy of the first value, used by RotateSecret
                    if getattr(secret, name) is not None:
                        setattr(secret, name, stored.get(name))
        except Exception:
            self.secrets.pop(secret.name)      # a refused KMS call leaves no secret behind
            for replica in secret.replicas:
                from moto.secretsmanager.models import secretsmanager_backends

                secretsmanager_backends[secret.account_id][replica.region].secrets.pop(replica.arn)
            raise
        return secret, new_version

    SecretsManagerBackend._add_secret = _add_secret

    get_secret_value = SecretsManagerBackend.get_secret_value

    @functools.wraps(get_secret_value)
    def get_secret_value_decrypted(self, secret_id, version_id, version_stage):
        response = get_secret_value(self, secret_id, version_id, version_stage)
        version = self.secrets[secret_id].versions.get(response["VersionId"]) or {}
        if is_sealed(version):
            for name, value in unseal(self, version).items():
                response["SecretString" if name == "secret_string" else "SecretBinary"] = value
        return response

    SecretsManagerBackend.get_secret_value = get_secret_value_decrypted

    check_existing = SecretsManagerBackend._check_with_existing_secrets_and_versions

    @functools.wraps(check_existing)
    def check_with_plaintext(self, secret_name, client_request_token, *args, **kwargs):
        # A retry with the same ClientRequestToken: Secrets Manager decrypts the stored
        # value to compare it with the request's (KMS Developer Guide, services-secrets-manager).
        secret = self.secrets.get(secret_name) if client_request_token else None
        version = (secret.versions.get(client_request_token)
                   if secret is not None and not isinstance(secret, ReplicaSecret) else None)
        if not version or not is_sealed(version):
            return check_existing(self, secret_name, client_request_token, *args, **kwargs)
        stored = {name: version[name] for name in _FIELDS if name in version}
        version.update(unseal(self, version))
        try:
            return check_existing(self, secret_name, client_request_token, *args, **kwargs)
        finally:
            version.update(stored)

    SecretsManagerBackend._check_with_existing_secrets_and_versions = check_with_plaintext

    rotate_secret = SecretsManagerBackend.rotate_secret

    @functools.wraps(rotate_secret)
    def rotate_secret_sealed(self, secret_id, *args, **kwargs):
        result = rotate_secret(self, secret_id, *args, **kwargs)
        # moto may copy the first version's stored value into the AWSPENDING version;
        # it is the same ciphertext, so it shares that version's seal.
        versions = list(self.secrets[secret_id].versions.values())
        for version in versions:
            if is_sealed(version) or not any(version.get(n) is not None for n in _FIELDS):
                continue
            for other in versions:
                if is_sealed(other) and all(other.get(n) == version.get(n) for n in _FIELDS):
                    version[_SEALED] = other[_SEALED]
                    break
        return result

    SecretsManagerBackend.rotate_secret = rotate_secret_sealed

    global _request
    _request = remember_caller(SecretsManagerResponse, "kmslab_secretsmanager_request")


_install()
