"""Why was a KMS request allowed or denied? For lessons.

    from kmslab.teach import access
    print(access.explain(bob_kms, "Decrypt", CiphertextBlob=blob))

The answer comes from kmslab.service.authorization, the same code that decides the
real request. It reads the sandbox's state in this Python process, so it works with
the in-process sandbox and with a LocalEndpoint started from this process.
"""
from __future__ import annotations

import base64
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def explain(kms_client, operation: str, via_service: str | None = None, **params: Any) -> str:
    """The decision the sandbox would take for `operation` sent by `kms_client`."""
    from kmslab.service import authorization, dispatch

    creds = kms_client._request_signer._credentials.get_frozen_credentials()
    call = dispatch.KmsCall(operation=operation, params=_jsonable(params),
                            account_id="", region=kms_client.meta.region_name,
                            access_key=creds.access_key, via_service=via_service,
                            secure_transport=kms_client.meta.endpoint_url.startswith("https"))
    try:
        decisions = authorization.explain(call)
    except Exception as exc:  # e.g. NotFoundException from resolving the key
        return f"{getattr(exc, 'code', type(exc).__name__)}: {getattr(exc, 'message', exc)}"
    return "\n".join(d.report() for d in decisions) or "no authorization needed"
