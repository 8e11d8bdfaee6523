"""Lesson 01 helpers: show S3's encryption headers briefly, and draw the three kinds side by side."""
from __future__ import annotations

SSE_HEADER_PREFIX = "x-amz-server-side-encryption"


def short_arn(arn: str) -> str:
    """'arn:aws:kms:us-east-1:123456789012:key/1234abcd-...' -> 'arn:aws:kms:us-east-1:123456789012:key/1234abcd…'."""
    if ":key/" not in arn:
        return arn
    head, key_id = arn.split(":key/", 1)
    return f"{head}:key/{key_id[:8]}…"


def sse_headers(response: dict) -> dict[str, str]:
    """The x-amz-server-side-encryption* HTTP headers of an S3 response, key ARNs shortened."""
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    return {name: short_arn(value) for name, value in sorted(headers.items())
            if name.startswith(SSE_HEADER_PREFIX)}


# Where the data is readable along the path, per kind (True = plaintext there).
STAGES = ("your app", "the network", "the service", "the service's disk")
KINDS = (
    ("In flight only\n(TLS, no encryption at rest)", (True, False, True, True),
     "session keys, held by both ends\nof the connection, then thrown away"),
    ("Server-side\n(TLS + SSE-S3 / SSE-KMS)", (True, False, True, False),
     "SSE-S3: S3 holds it\nSSE-KMS: a KMS key in your account"),
    ("Client-side\n(TLS + encrypt before upload)", (True, False, False, False),
     "only you (in practice, a data key\nfrom KMS: envelope encryption)"),
)


def plot_three_kinds():
    """A figure: for each kind, where plaintext lives along the path and who holds the key."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    plain, cipher = "#f4a259", "#5b8e7d"
    fig, ax = plt.subplots(figsize=(11, 3.6))
    for row, (name, readable, key_holder) in enumerate(reversed(KINDS)):
        for col, is_plain in enumerate(readable):
            ax.add_patch(plt.Rectangle((col + 0.05, row + 0.1), 0.9, 0.8,
                                       color=plain if is_plain else cipher))
            ax.text(col + 0.5, row + 0.5, "plaintext" if is_plain else "ciphertext",
                    ha="center", va="center", color="white", fontsize=9, weight="bold")
        ax.text(len(STAGES) + 0.1, row + 0.5, key_holder, va="center", fontsize=8.5)
    ax.set_xlim(0, len(STAGES) + 1.9)
    ax.set_ylim(0, len(KINDS))
    ax.set_xticks([c + 0.5 for c in range(len(STAGES))] + [len(STAGES) + 0.9])
    ax.set_xticklabels(list(STAGES) + ["who holds the key"])
    ax.set_yticks([r + 0.5 for r in range(len(KINDS))])
    ax.set_yticklabels([name for name, _, _ in reversed(KINDS)], fontsize=8.5)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.legend(handles=[Patch(color=plain, label="readable"), Patch(color=cipher, label="encrypted")],
              loc="upper center", bbox_to_anchor=(0.4, -0.12), ncol=2, frameon=False)
    ax.set_title("Three kinds of encryption: where the data is readable, and who holds the key")
    fig.tight_layout()
    # Closed here and shown by the caller (the cell's last value): pyplot's automatic
    # display at the end of a cell can fire twice under some kernels (seen with nbval).
    plt.close(fig)
    return fig
