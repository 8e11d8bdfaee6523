"""Lesson 08 helpers: an administrator in the second account, snapshot summaries, and a
figure of the two EBS procedures (copy to another Region, share with another account).
Talks to the sandbox only through boto3 clients."""
from __future__ import annotations

import json
import re

from . import cast as _cast

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def second_account_admin(sb, people, name: str = "b-admin") -> "_cast.Member":
    """An IAM user with an allow-everything policy in the cast's second account (account B),
    made through B's OrganizationAccountAccessRole as the cast itself does."""
    org = sb.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{people.second_account}:role/OrganizationAccountAccessRole",
        RoleSessionName="lesson-setup")["Credentials"]
    iam_b = sb.client("iam", access_key=org["AccessKeyId"], secret_key=org["SecretAccessKey"],
                      session_token=org["SessionToken"])
    iam_b.create_user(UserName=name)
    iam_b.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(ALLOW_ALL))
    key = iam_b.create_access_key(UserName=name)["AccessKey"]
    arn = f"arn:aws:iam::{people.second_account}:user/{name}"
    return _cast.Member(name, arn, people.second_account, arn,
                        {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}, sb)


def short_key(arn: str | None) -> str:
    """'arn:aws:kms:us-west-2:123456789012:key/1234abcd-…' -> 'us-west-2:123456789012:key/1234abcd'."""
    if not arn or ":key/" not in arn:
        return str(arn)
    parts = arn.split(":")
    return f"{parts[3]}:{parts[4]}:key/{parts[5].split('/', 1)[1][:8]}"


def describe(ec2, snapshot_id: str) -> str:
    """One line: owner, state, encryption key (and the reason if the copy failed)."""
    s = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]
    line = f"owner {s['OwnerId']}  state {s['State']:9}  encrypted {s['Encrypted']}  key {short_key(s.get('KmsKeyId'))}"
    if s.get("StateMessage"):
        # Key ARNs in the message shortened (…) like the key column, rather than cutting the text.
        message = re.sub(r"arn:aws:kms:[^\s']+", lambda m: f"arn:aws:kms:{short_key(m.group(0))}…",
                         s["StateMessage"])
        line += f"\n  StateMessage: {message}"
    return line


def plot_procedures():
    """A figure: the two procedures as flows (Regions and accounts as columns)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    flows = [
        ("Copy to another Region (one account)", ("Region A: us-east-1", "Region B: us-west-2"), [
            (0, "1. volume (key A1)\n-> CreateSnapshot"),
            (0, "snapshot, key A1\n(same data key)"),
            (1, "2. CopySnapshot, called in B\nSourceRegion=A, KmsKeyId=B key\n(Decrypt in A, new data key in B)"),
            (1, "3. CreateVolume from the copy\n(encrypted under the B key)")]),
        ("Share with another account (one Region)", ("Account A (owner)", "Account B"), [
            (0, "1. snapshot under a customer\nmanaged key (not aws/ebs)"),
            (0, "2. key policy: allow account B\n3. ModifySnapshotAttribute\ncreateVolumePermission += B"),
            (1, "4. CopySnapshot in B with\nKmsKeyId = B's own key"),
            (1, "5. CreateVolume from B's copy")]),
    ]
    for ax, (title, columns, steps) in zip(axes, flows):
        ax.set_xlim(0, 2)
        ax.set_ylim(-0.2, len(steps) + 0.6)
        ax.axis("off")
        ax.set_title(title, fontsize=11)
        for col, name in enumerate(columns):
            ax.add_patch(FancyBboxPatch((col + 0.04, -0.1), 0.92, len(steps) + 0.25,
                                        boxstyle="round,pad=0.02", fc=("#eef4f8", "#f8f1e8")[col], ec="#999999"))
            ax.text(col + 0.5, len(steps) + 0.35, name, ha="center", fontsize=10, weight="bold")
        points = []
        for i, (col, text) in enumerate(steps):
            y = len(steps) - 0.5 - i
            ax.text(col + 0.5, y, text, ha="center", va="center", fontsize=8.5,
                    bbox={"boxstyle": "round", "fc": "white", "ec": "#5b8e7d"})
            points.append((col + 0.5, y))
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            ax.annotate("", xy=(x1, y1 + 0.3), xytext=(x0, y0 - 0.3),
                        arrowprops={"arrowstyle": "->", "color": "#c0392b", "lw": 1.4})
    fig.tight_layout()
    plt.close(fig)
    return fig
