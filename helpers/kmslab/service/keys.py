"""Key resolution: find the key a request names, however AWS lets it be named.

AWS accepts a key id, key ARN, alias name or alias ARN for the operations whose
KeyId documentation says so, and only a key id or key ARN for the others
(botocore's KMS model, `KeyId` doc of each operation; sources: key-identifiers). A key ARN
or alias ARN may name another account or Region: the request then runs in that
owner's backend (cross-account use, sources: key-identifiers, cross-account-access).

After this stage:
  call.key_arn, call.key_owner = (account, region), call.notes["key"] = moto Key,
  and the parameter holds the bare key id (moto indexes keys by id).
Decrypt/ReEncrypt find their key from the ciphertext (sources: decrypt-key-and-algorithm); a KeyId
that names another key fails with IncorrectKeyException.

Other modules hook in with:
  @keys.on_access  fn(key) -> None   lazy time-driven changes (rotation, expiry, deletion)
  @keys.on_create  fn(key, call)     adjust a key moto just created
"""
from __future__ import annotations

import re
from typing import Any, Callable

from . import dispatch, symmetric
from .errors import KmsError

# operation -> (parameter naming the key, aliases accepted) -- from botocore's KMS model
_ALIAS_OK = ("Decrypt", "DeriveSharedSecret", "DescribeKey", "Encrypt", "GenerateDataKey",
             "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
             "GenerateDataKeyWithoutPlaintext", "GetPublicKey", "Sign", "Verify",
             "Decapsulate", "Encapsulate")
_ID_OR_ARN = ("CancelKeyDeletion", "CreateGrant", "DeleteImportedKeyMaterial", "DisableKey",
              "DisableKeyRotation", "EnableKey", "EnableKeyRotation", "GenerateMac",
              "GetKeyLastUsage", "GetKeyPolicy", "GetKeyRotationStatus", "GetParametersForImport",
              "ImportKeyMaterial", "ListAliases", "ListGrants", "ListKeyPolicies",
              "ListKeyRotations", "ListResourceTags", "PutKeyPolicy", "ReplicateKey", "RetireGrant",
              "RevokeGrant", "RotateKeyOnDemand", "ScheduleKeyDeletion", "TagResource",
              "UntagResource", "UpdateKeyDescription", "UpdatePrimaryRegion", "VerifyMac")
KEY_PARAMS: dict[str, tuple[str, bool]] = {
    **{op: ("KeyId", True) for op in _ALIAS_OK},
    **{op: ("KeyId", False) for op in _ID_OR_ARN},
    "CreateAlias": ("TargetKeyId", False),
    "UpdateAlias": ("TargetKeyId", False),
}
_OPTIONAL = {"ListAliases", "RetireGrant", "Decrypt"}

# A key id: a UUID, or mrk- and 32 hex digits for a multi-Region key (moto writes the
# mrk- id with the UUID's dashes). Anything else is "Invalid keyId 'x'", as AWS answers:
# https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-id
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
KEY_ID = re.compile(rf"{_UUID}|mrk-(?:[0-9a-f]{{32}}|{_UUID})", re.IGNORECASE)


def invalid_key_id(ref: str) -> KmsError:
    return KmsError("NotFoundException", f"Invalid keyId '{ref}'")

_access_hooks: list[Callable[[Any], None]] = []
_create_hooks: list[Callable[[Any, dispatch.KmsCall], None]] = []


def on_access(fn: Callable[[Any], None]) -> Callable[[Any], None]:
    if fn not in _access_hooks:
        _access_hooks.append(fn)
    return fn


def on_create(fn):
    if fn not in _create_hooks:
        _create_hooks.append(fn)
    return fn


def backend(account_id: str, region: str):
    from moto.kms.models import kms_backends

    return kms_backends[account_id][region]


def touch(key: Any) -> bool:
    """Apply time-driven changes to a key; False if the key no longer exists."""
    for fn in _access_hooks:
        fn(key)
    return backend(key.account_id, key.region).keys.get(key.id) is key


def arn_for(account_id: str, region: str, resource: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:{resource}"


def find(ref: str, account_id: str, region: str, aliases_ok: bool = True) -> Any:
    """The moto Key `ref` names, seen from a caller in (account_id, region)."""
    owner_account, owner_region, resource = account_id, region, ref
    if ref.startswith("arn:"):
        parts = ref.split(":", 5)
        if len(parts) != 6 or parts[2] != "kms" or not parts[4].isdigit():
            raise KmsError("NotFoundException", f"Invalid arn {ref}")
        owner_region, owner_account, resource = parts[3], parts[4], parts[5]
        if owner_region != region:
            # Keys are Regional (sources: keys-are-regional): a Region's endpoint knows only its own keys.
            # AWS answers "Invalid arn <region>" (seen in kubernetes-retired/kube-aws#1041
            # and nakedible/openssl-engine-kms#1).
            raise KmsError("NotFoundException", f"Invalid arn {owner_region}")
    elif not ref.startswith("alias/"):
        if not KEY_ID.fullmatch(ref):
            raise invalid_key_id(ref)
        resource = f"key/{ref}"
    try:
        store = backend(owner_account, owner_region)
    except KeyError:
        raise KmsError("NotFoundException", f"Invalid arn {ref}") from None
    if resource.startswith("alias/"):
        if not aliases_ok:
            raise invalid_key_id(ref)
        key_id = store.get_key_id_from_alias(resource)  # creates AWS managed keys on first use
        key = store.keys.get(key_id) if key_id else None
        if key is None or not touch(key):
            raise KmsError("NotFoundException",
                           f"Alias {arn_for(owner_account, owner_region, resource)} is not found.")
        return key
    if not resource.startswith("key/"):
        raise invalid_key_id(ref)
    key = store.keys.get(resource[4:])
    if key is None or not touch(key):
        raise KmsError("NotFoundException",
                       f"Key '{arn_for(owner_account, owner_region, resource)}' does not exist")
    return key


def _set_key(call: dispatch.KmsCall, key: Any) -> None:
    call.key_arn = key.arn
    call.key_owner = (key.account_id, key.region)
    call.notes["key"] = key


def _from_ciphertext(call: dispatch.KmsCall, named_param: str) -> Any:
    """The key a ciphertext was made under; IncorrectKeyException if KeyId names another."""
    ref = call.params.get(named_param)
    named = find(ref, call.account_id, call.region) if ref else None
    head = symmetric.peek(call.blob("CiphertextBlob"))
    if head is None:
        if named is None:  # only symmetric ciphertext names its key (sources: decrypt-key-and-algorithm)
            raise symmetric.invalid_ciphertext()
        return named
    key = symmetric.key_for_blob(head, call.region)
    if not touch(key):
        raise KmsError("NotFoundException", f"Key '{key.arn}' does not exist")
    if named is not None and (named.id != key.id or named.account_id != key.account_id):
        # AWS's message still says "CMK":
        # https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html#API_Decrypt_Errors
        raise KmsError("IncorrectKeyException",
                       "The key ID in the request does not identify a CMK that can "
                       "perform this operation.")
    return key


@dispatch.before(dispatch.RESOLVE, "resolve-key")
def resolve(call: dispatch.KmsCall) -> None:
    op = call.operation
    if op == "Decrypt":
        _set_key(call, _from_ciphertext(call, "KeyId"))
        if call.params.get("KeyId"):
            call.notes["key_ref"] = call.params["KeyId"]
            call.params["KeyId"] = call.notes["key"].id
        return
    if op == "ReEncrypt":
        source = _from_ciphertext(call, "SourceKeyId")
        destination = find(call.params.get("DestinationKeyId", ""), call.account_id, call.region)
        _set_key(call, source)
        call.notes["destination_key"] = destination
        return
    if op in ("ListKeys", "ListAliases"):
        sweep(call.account_id, call.region)
    if op == "RetireGrant" and not call.params.get("GrantToken") and not (
            call.params.get("KeyId") and call.params.get("GrantId")):
        # "To identify the grant to retire, use a grant token, or both the grant ID and a key
        # identifier" https://docs.aws.amazon.com/kms/latest/APIReference/API_RetireGrant.html
        raise KmsError("ValidationException",
                       "Either GrantToken, or both KeyId and GrantId, must be specified.")
    spec = KEY_PARAMS.get(op)
    if spec is None:
        return
    param, aliases_ok = spec
    ref = call.params.get(param)
    if not ref:
        if op in _OPTIONAL:
            return
        raise KmsError("ValidationException",
                       f"1 validation error detected: Value null at '{param[0].lower() + param[1:]}' "
                       "failed to satisfy constraint: Member must not be null")
    key = find(ref, call.account_id, call.region, aliases_ok)
    _set_key(call, key)
    call.notes["key_ref"] = ref   # as the caller named it (kms:RequestAlias reads it)
    call.params[param] = key.id


def sweep(account_id: str, region: str) -> None:
    """Apply time-driven changes to every key in a Region (before listing them)."""
    for key in list(backend(account_id, region).keys.values()):
        touch(key)


@dispatch.operation("CreateKey")
def create_key(call: dispatch.KmsCall) -> dict:
    result = dispatch.moto_operation(call)
    key = backend(call.account_id, call.region).keys[result["KeyMetadata"]["KeyId"]]
    key.key_usage = key.key_usage or "ENCRYPT_DECRYPT"  # the documented default (sources: key-usage)
    for fn in _create_hooks:
        fn(key, call)
    _set_key(call, key)
    return key.to_dict()
