"""The KMS key lifecycle as a state diagram, and a helper to try an operation in each state.

    from kmslab.teach import key_lifecycle
    key_lifecycle.plot_states()                      # figure
    key_lifecycle.attempt(kms.encrypt, KeyId=k, Plaintext=b"x")   # "ok" or the error code

States and transitions follow sources: deletion-waiting-period, disable-before-delete, key-states and the KMS API Reference
(DisableKey, EnableKey, ScheduleKeyDeletion, CancelKeyDeletion).
"""
from __future__ import annotations

from botocore.exceptions import ClientError

#: state -> (x, y, colour) on the diagram
STATES = {
    "Enabled": (0.0, 1.0, "#2e8b57"),
    "Disabled": (4.0, 1.0, "#d4a017"),
    "PendingDeletion": (4.0, -1.0, "#c0392b"),
    "deleted": (7.8, -1.0, "#555555"),
}

#: (from, to, label, arc, label position): the API call (or event) that moves a key
TRANSITIONS = [
    ("Enabled", "Disabled", "DisableKey", -0.25, (2.0, 1.62)),
    ("Disabled", "Enabled", "EnableKey", -0.25, (2.0, 0.38)),
    ("Enabled", "PendingDeletion", "ScheduleKeyDeletion\n(7-30 days, default 30)", 0.0, (1.2, -0.45)),
    ("Disabled", "PendingDeletion", "ScheduleKeyDeletion", 0.3, (2.95, 0.0)),
    ("PendingDeletion", "Disabled", "CancelKeyDeletion\n(always back to Disabled)", 0.3, (5.35, 0.0)),
    ("PendingDeletion", "deleted", "waiting period ends:\nkey, material, aliases gone", 0.0, (5.9, -1.6)),
]

#: what each state allows (sources: deletion-waiting-period, disable-before-delete): crypto use, and how to leave it
ALLOWS = {
    "Enabled": "all operations",
    "Disabled": "no crypto use\n(DisabledException)",
    "PendingDeletion": "no crypto use\n(KMSInvalidStateException)",
    "deleted": "its ciphertext is\nunrecoverable",
}


def attempt(call, **kwargs) -> str:
    """Run a client call; return "ok" or the AWS error code it raised."""
    try:
        call(**kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"]
    return "ok"


def plot_states():
    """Figure: Enabled, Disabled, PendingDeletion and deleted, with the calls between them."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    fig, ax = plt.subplots(figsize=(10, 4.6))
    w, h = 2.3, 0.85
    for name, (x, y, colour) in STATES.items():
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05",
                                    fc=colour, ec="black", lw=1.2, ls="--" if name == "deleted" else "-"))
        ax.text(x, y + 0.2, name, ha="center", va="center", color="white", weight="bold", fontsize=11)
        ax.text(x, y - 0.15, ALLOWS[name], ha="center", va="center", color="white", fontsize=7.5)
    for start, end, label, arc, (lx, ly) in TRANSITIONS:
        (x0, y0, _), (x1, y1, _) = STATES[start], STATES[end]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", lw=1.4, color="#222222", shrinkA=36, shrinkB=36,
                                    connectionstyle=f"arc3,rad={arc}"))
        ax.text(lx, ly, label, ha="center", va="center", fontsize=8,
                bbox=dict(fc="white", ec="none", alpha=0.85))
    ax.annotate("CreateKey", xy=(STATES["Enabled"][0] - w / 2 - 0.05, 1.0), xytext=(-2.2, 1.0),
                arrowprops=dict(arrowstyle="-|>", lw=1.4), va="center", fontsize=8)
    ax.set_xlim(-2.4, 9.0)
    ax.set_ylim(-1.9, 1.9)
    ax.axis("off")
    ax.set_title("A customer managed key's lifecycle (other states: Creating, PendingImport, "
                 "PendingReplicaDeletion, Unavailable, Updating)", fontsize=9.5)
    fig.tight_layout()
    plt.close(fig)  # shown by the caller (nbval records an auto-displayed figure twice)
    return fig
