"""Show the sandbox's CloudTrail event history as a compact table, for lessons.

Reads through a boto3 CloudTrail client (LookupEvents), as a learner's code
would against a real account.

    from kmslab.teach import audit
    audit.show(sb.client("cloudtrail"))
"""
from __future__ import annotations

import json
import re
from typing import Any

COLUMNS = ("eventName", "caller", "key", "context", "errorCode")
_KEY_ID = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|mrk-[0-9a-f]{32}")


def lookup(cloudtrail, event_name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """CloudTrail records (parsed), oldest first, as LookupEvents returns them (newest first) reversed."""
    kwargs: dict[str, Any] = {"MaxResults": min(limit, 50)}
    if event_name:
        kwargs["LookupAttributes"] = [{"AttributeKey": "EventName", "AttributeValue": event_name}]
    records: list[dict[str, Any]] = []
    while len(records) < limit:
        page = cloudtrail.lookup_events(**kwargs)
        records += [json.loads(e["CloudTrailEvent"]) for e in page["Events"]]
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    return list(reversed(records[:limit]))


def caller(record: dict[str, Any]) -> str:
    """A short name for who called: root, a user name, role/session; plus the service."""
    identity = record.get("userIdentity") or {}
    arn = identity.get("arn") or ""
    if identity.get("type") == "Root":
        name = "root"
    elif ":assumed-role/" in arn:
        name = "/".join(arn.split("/")[-2:])
    else:
        name = arn.rsplit("/", 1)[-1] or "?"
    if identity.get("invokedBy"):
        name += f" via {identity['invokedBy'].split('.')[0]}"
    return name


def key(record: dict[str, Any]) -> str:
    """The key's short id (first 8 characters of its id), or the name the request used."""
    for resource in record.get("resources") or []:
        arn = resource.get("ARN") or ""
        if ":key/" in arn:
            return arn.split(":key/")[1][:8]
    # A failed request may name no resource: show the name it used, shortened the same way if it is a key id or ARN.
    named = str((record.get("requestParameters") or {}).get("keyId", "-"))
    key_id = named.split(":key/")[1] if ":key/" in named else named
    return key_id[:8] if _KEY_ID.fullmatch(key_id) else named


def context(record: dict[str, Any]) -> str:
    pairs = (record.get("requestParameters") or {}).get("encryptionContext") or {}
    return ",".join(f"{k}={v}" for k, v in pairs.items()) or "-"


def rows(records: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    return [(r["eventName"], caller(r), key(r), context(r), r.get("errorCode", "-")) for r in records]


def table(cloudtrail, event_name: str | None = None, limit: int = 50) -> str:
    """The events as a fixed-width text table (deterministic for notebook outputs)."""
    body = rows(lookup(cloudtrail, event_name, limit))
    widths = [max(len(str(x)) for x in column) for column in zip(COLUMNS, *body)]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip()
             for row in [COLUMNS, *body]]
    return "\n".join(lines)


def show(cloudtrail, event_name: str | None = None, limit: int = 50) -> None:
    print(table(cloudtrail, event_name, limit))


def retain(max_events: int) -> None:
    """Keep at most `max_events` events in the sandbox's trail (default 5,000; the oldest go first),
    as a CloudTrail event history keeps 90 days. Raise it before a lesson that counts many requests."""
    from ..service import audit as trail

    trail.configure(max_events)
