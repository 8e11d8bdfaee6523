"""Tags on KMS keys: the rules AWS enforces on CreateKey, ReplicateKey and TagResource.

AWS (https://docs.aws.amazon.com/kms/latest/developerguide/tagging-keys.html,
https://docs.aws.amazon.com/kms/latest/APIReference/API_Tag.html):
- a tag key is 1-128 characters and a value 0-256 (the front door checks these against
  the model: ValidationException at 'tags.N.member.tagKey');
- tag keys may not repeat in one request, and a key has at most 50 tags;
- keys beginning with aws: (in any case) are reserved for AWS.
Breaking one of the last three is TagException, with AWS's message.
"""
from __future__ import annotations

from . import dispatch
from .errors import KmsError

MAX_TAGS = 50
RESERVED_PREFIX = "aws:"
_TAGGED = ("CreateKey", "ReplicateKey", "TagResource")


def tag_error(message: str) -> KmsError:
    return KmsError("TagException", message)


def check(tags: list[dict], existing: set[str] = frozenset()) -> None:
    """Raise TagException if `tags` (added to a key that has `existing` tag keys) break a rule."""
    names = [tag["TagKey"] for tag in tags]
    if len(set(names)) < len(names):
        raise tag_error("Duplicate tag keys")
    if len(existing | set(names)) > MAX_TAGS:
        raise tag_error("Too many tags")
    if any(name.lower().startswith(RESERVED_PREFIX) for name in names):
        raise tag_error("Tags beginning with aws: are reserved")


@dispatch.before(dispatch.VALIDATE, "tags")
def check_tags(call: dispatch.KmsCall) -> None:
    if call.operation not in _TAGGED or not call.params.get("Tags"):
        return
    existing: set[str] = set()
    key = call.notes.get("key")
    if call.operation == "TagResource" and key is not None:
        from .keys import backend

        tagger = backend(key.account_id, key.region).tagger
        existing = {t["TagKey"] for t in tagger.list_tags_for_resource(key.id).get("Tags", [])}
    check(call.params["Tags"], existing)
