"""AWS-shaped errors. Codes and message shapes follow botocore's KMS model."""
from __future__ import annotations

import json


class KmsError(Exception):
    """An error KMS returns: a code from the service model, a message, a status."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status

    def body(self) -> str:
        # AWS sends no "message" at all when it has nothing to say (InvalidCiphertextException,
        # KMSInvalidSignatureException, KMSInvalidMacException, UnknownOperationException ...).
        if not self.message:
            return json.dumps({"__type": self.code})
        return json.dumps({"__type": self.code, "message": self.message})


def not_found(message: str) -> KmsError:
    return KmsError("NotFoundException", message)


def validation(message: str) -> KmsError:
    return KmsError("ValidationException", message)


def invalid_state(key_arn: str, state: str) -> KmsError:
    return KmsError("KMSInvalidStateException", f"{key_arn} is {state}")


def disabled(key_arn: str) -> KmsError:
    return KmsError("DisabledException", f"{key_arn} is disabled.")


def invalid_key_usage(message: str) -> KmsError:
    return KmsError("InvalidKeyUsageException", message)


def unsupported(message: str) -> KmsError:
    return KmsError("UnsupportedOperationException", message)


def from_moto(exc: Exception) -> KmsError | None:
    """Turn one of moto's JsonRESTError exceptions into a KmsError."""
    code = getattr(exc, "error_type", None)
    if code is None:
        return None
    return KmsError(code, getattr(exc, "message", "") or "", int(getattr(exc, "code", 400) or 400))
