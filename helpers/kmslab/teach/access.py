"""Why was a KMS request allowed or denied? For lessons.

    from kmslab.teach import access
    print(access.explain(bob_kms, "Decrypt", CiphertextBlob=blob))
    table = access.decision_table(keys, callers, "Encrypt", Plaintext=b"x")   # real requests, explained
    access.plot_decision_table(table, "kms:Encrypt: ...")

The answer comes from kmslab.service.authorization, the same code that decides the
real request. It reads the sandbox's state in this Python process, so it works with
the in-process sandbox and with a LocalEndpoint started from this process.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Outcome:
    """One cell of a decision table: what the real request got, and why."""

    result: str        # "ok" or the AWS error code
    decided_by: str    # the trace's "decided by" line
    trace: str         # access.explain's whole answer

    @property
    def allowed(self) -> bool:
        return self.result == "ok"


def decision_table(keys: dict[str, str], callers: dict[str, Any], operation: str = "Encrypt",
                   **params: Any) -> dict[tuple[str, str], Outcome]:
    """Send `operation` as every caller to every key, for real, and explain each answer.

    `keys` maps a label to a key ARN, `callers` a label to a boto3 KMS client; the result
    maps (key label, caller label) to an Outcome. Raises if an explanation disagrees with
    the real answer (it never should: both come from the same authorization code)."""
    from botocore import xform_name
    from botocore.exceptions import ClientError

    table = {}
    for key_label, key_arn in keys.items():
        for caller_label, client in callers.items():
            try:
                getattr(client, xform_name(operation))(KeyId=key_arn, **params)
                result = "ok"
            except ClientError as exc:
                result = exc.response["Error"]["Code"]
            trace = explain(client, operation, KeyId=key_arn, **params)
            if (result == "ok") != trace.startswith("ALLOW"):
                raise AssertionError(f"{key_label} / {caller_label}: the request got {result}, the trace says:\n{trace}")
            decided_by = trace.split("decided by: ", 1)[1].splitlines()[0] if "decided by: " in trace else trace
            table[key_label, caller_label] = Outcome(result, decided_by, trace)
    return table


def plot_decision_table(table: dict[tuple[str, str], Outcome], title: str):
    """The table as a grid: one coloured cell per request, ALLOW or DENY and what decided it."""
    import textwrap

    import matplotlib.pyplot as plt

    rows = list(dict.fromkeys(k for k, _ in table))
    cols = list(dict.fromkeys(c for _, c in table))
    fig, ax = plt.subplots(figsize=(11, 1.55 * len(rows) + 0.9))
    for r, row in enumerate(rows):
        for c, col in enumerate(cols):
            outcome = table[row, col]
            ax.add_patch(plt.Rectangle((c, r), 1, 1, facecolor="#b7e4c7" if outcome.allowed else "#f4b6b6",
                                       edgecolor="white", lw=3))
            ax.text(c + 0.5, r + 0.28, "ALLOW" if outcome.allowed else "DENY", ha="center", va="center",
                    fontsize=13, weight="bold")
            ax.text(c + 0.5, r + 0.65, textwrap.fill(outcome.decided_by, 30), ha="center", va="center",
                    fontsize=10, linespacing=1.15)
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([c + 0.5 for c in range(len(cols))], cols, fontsize=11)
    ax.set_yticks([r + 0.5 for r in range(len(rows))], [textwrap.fill(f"key policy {row}", 18) for row in rows],
                  fontsize=11)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title, pad=30, fontsize=12)
    fig.tight_layout()
    plt.close(fig)
    return fig
