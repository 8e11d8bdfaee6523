"""Lesson 06 helpers: a key's material versions over time, and which ciphertexts use which.

    versions = rotation_timeline.material_versions(kms, key_id, original_material_id)
    fig = rotation_timeline.plot(versions, [("invoice", when, material_id), ...])

Everything comes from boto3 answers a learner could get: DescribeKey (creation date),
ListKeyRotations (one entry per rotation) and Decrypt/ReEncrypt (KeyMaterialId).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Version:
    material_id: str
    start: _dt.datetime       # when it became current (UTC, naive)
    how: str                  # "created", "imported", "AUTOMATIC", "ON_DEMAND"


def _naive(when: _dt.datetime) -> _dt.datetime:
    if when.tzinfo is not None:
        when = when.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return when


def material_versions(kms, key_id: str, original_material_id: str) -> list[Version]:
    """The original material (from CreateKey or the first import) then one Version per rotation."""
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    first = "imported" if meta.get("Origin") == "EXTERNAL" else "created"
    versions = [Version(original_material_id, _naive(meta["CreationDate"]), first)]
    pages = kms.get_paginator("list_key_rotations").paginate(KeyId=key_id)
    for page in pages:
        for r in page["Rotations"]:
            versions.append(Version(r["KeyMaterialId"], _naive(r["RotationDate"]), r["RotationType"]))
    return versions


def plot(versions: list[Version], ciphertexts: list[tuple[str, _dt.datetime, str]],
         moves: list[tuple[str, _dt.datetime, str, str]] = (), *, end: _dt.datetime | None = None,
         title: str = "One KMS key, several key materials"):
    """A figure: one row per material version (solid while current, pale while kept for
    Decrypt only); a dot per ciphertext on the row of the material that encrypted it.
    `moves` are (label, when, from_material, to_material) arrows, e.g. a ReEncrypt."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    rows = {v.material_id: i for i, v in enumerate(versions)}
    starts = [_naive(v.start) for v in versions]
    times = starts + [_naive(c[1]) for c in ciphertexts] + [_naive(m[1]) for m in moves]
    end = _naive(end) if end else max(times) + _dt.timedelta(days=60)
    fig, ax = plt.subplots(figsize=(11, 1.4 + 0.9 * len(versions)))
    colors = {"created": "#5b8e7d", "imported": "#8c6bb1", "AUTOMATIC": "#3c6e9f", "ON_DEMAND": "#f4a259"}
    for i, v in enumerate(versions):
        until = starts[i + 1] if i + 1 < len(versions) else end
        color = colors.get(v.how, "#888888")
        ax.barh(i, until - starts[i], left=starts[i], height=0.5, color=color)
        if until < end:  # kept after the next rotation: still decrypts (sources: rotation-keeps-old-material)
            ax.barh(i, end - until, left=until, height=0.5, color=color, alpha=0.25)
        ax.text(starts[i], i - 0.3, f" {v.how}", fontsize=8, va="bottom", style="italic")
    stacked: dict[tuple, int] = {}  # labels at the same spot go one under the other
    for label, when, material in ciphertexts:
        y = rows[material]
        n = stacked.get((y, _naive(when)), 0)
        stacked[(y, _naive(when))] = n + 1
        ax.plot([_naive(when)], [y], "o", color="black", ms=6)
        ax.annotate(label, (_naive(when), y), textcoords="offset points", xytext=(6, 2 - 10 * n),
                    fontsize=8, va="center")
    for label, when, src, dst in moves:
        ax.annotate("", xy=(_naive(when), rows[dst]), xytext=(_naive(when), rows[src]),
                    arrowprops={"arrowstyle": "->", "color": "#c0392b", "lw": 1.5})
        ax.plot([_naive(when)], [rows[dst]], "o", mfc="white", mec="#c0392b", ms=7)
        ax.annotate(label, (_naive(when), rows[src]), textcoords="offset points",
                    xytext=(6, -4), fontsize=8, color="#c0392b", va="top")
    ax.set_yticks(range(len(versions)),
                  [f"material {i + 1}\n{v.material_id[:8]}…" for i, v in enumerate(versions)])
    ax.invert_yaxis()
    ax.set_ylim(len(versions) - 0.4, -0.7)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.set_title(title + "\n(solid: current material, new ciphertexts use it; pale: kept only to decrypt)",
                 fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig
