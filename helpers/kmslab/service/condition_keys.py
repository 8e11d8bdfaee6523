"""The request context: which condition keys a KMS request carries, and their values.

A key is in the context only for the operations AWS lists it for: the KMS actions table of the
Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html)
and the KMS condition keys page (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
A policy that tests a key elsewhere sees it missing: positive operators fail, negated ones,
...IfExists and Null:true hold, as on AWS.

- kms:CallerAccount and kms:ViaService: every KMS key resource operation and CreateKey;
  kms:CallerAccount also the custom key store operations. Never ListKeys, ListAliases,
  ListRetirableGrants or GenerateRandom.
- The key's own properties (kms:KeySpec, kms:KeyUsage, kms:KeyOrigin, kms:MultiRegion,
  kms:MultiRegionKeyType, kms:ResourceAliases) on every operation on a key; for CreateKey,
  the key the request would make. kms:CustomerMasterKeySpec/Usage are the deprecated names
  of kms:KeySpec/Usage, which "work the same way".
- kms:ResourceAliases is for IAM policies only: a key policy never sees it.
- Request parameters (PARAMETER_KEYS) carry their default when the request leaves them out,
  since "this type of condition works even when the parameter doesn't appear in the request";
  kms:ExpirationModel is missing then (the guide's own example tests that with Null).
Not modelled: kms:TrailingDaysWithoutKeyUsage, kms:GranteeServicePrincipal,
kms:RetiringServicePrincipal, kms:GrantConstraintSourceArn, kms:RecipientAttestation:*
(the sandbox refuses Recipient), aws:ResourceTag/aws:RequestTag.
"""
from __future__ import annotations

from typing import Any

from . import dispatch
from .policy import conditions
from .policy.evaluate import Principal

#: Operations on custom key stores: kms:CallerAccount is their only KMS key.
CUSTOM_KEY_STORE_OPERATIONS = frozenset({
    "CreateCustomKeyStore", "DescribeCustomKeyStores", "ConnectCustomKeyStore", "DisconnectCustomKeyStore",
    "UpdateCustomKeyStore", "DeleteCustomKeyStore"})

#: kms:RequestAlias: the cryptographic operations, DescribeKey and GetPublicKey.
REQUEST_ALIAS_OPERATIONS = frozenset({
    "Decrypt", "DeriveSharedSecret", "DescribeKey", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac", "GetPublicKey",
    "ReEncryptFrom", "ReEncryptTo", "Sign", "Verify", "VerifyMac"})

#: kms:EncryptionAlgorithm: the request's algorithm, or the one the operation uses (SYMMETRIC_DEFAULT).
ENCRYPTION_ALGORITHM_OPERATIONS = frozenset({
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo"})

#: kms:EncryptionContext:<key> and kms:EncryptionContextKeys; for CreateGrant and RetireGrant they
#: describe the grant's constraints.
ENCRYPTION_CONTEXT_OPERATIONS = ENCRYPTION_ALGORITHM_OPERATIONS | {"CreateGrant", "RetireGrant"}

#: Request parameters that are condition keys: operation -> (key, parameter, value when absent).
PARAMETER_KEYS: dict[str, tuple[tuple[str, str, Any], ...]] = {
    "CreateKey": (("kms:BypassPolicyLockoutSafetyCheck", "BypassPolicyLockoutSafetyCheck", False),),
    "PutKeyPolicy": (("kms:BypassPolicyLockoutSafetyCheck", "BypassPolicyLockoutSafetyCheck", False),),
    "CreateGrant": (("kms:GranteePrincipal", "GranteePrincipal", None),
                    ("kms:RetiringPrincipal", "RetiringPrincipal", None)),
    "DeriveSharedSecret": (("kms:KeyAgreementAlgorithm", "KeyAgreementAlgorithm", None),),
    "EnableKeyRotation": (("kms:RotationPeriodInDays", "RotationPeriodInDays", 365),),  # sources: automatic-rotation
    "GenerateDataKeyPair": (("kms:DataKeyPairSpec", "KeyPairSpec", None),),
    "GenerateDataKeyPairWithoutPlaintext": (("kms:DataKeyPairSpec", "KeyPairSpec", None),),
    "GenerateMac": (("kms:MacAlgorithm", "MacAlgorithm", None),),
    "VerifyMac": (("kms:MacAlgorithm", "MacAlgorithm", None),),
    "GetParametersForImport": (("kms:WrappingAlgorithm", "WrappingAlgorithm", None),
                               ("kms:WrappingKeySpec", "WrappingKeySpec", None)),
    "ImportKeyMaterial": (("kms:ExpirationModel", "ExpirationModel", None), ("kms:ValidTo", "ValidTo", None)),
    "ReplicateKey": (("kms:ReplicaRegion", "ReplicaRegion", None),),
    "ScheduleKeyDeletion": (("kms:ScheduleKeyDeletionPendingWindowInDays", "PendingWindowInDays", 30),),  # sources: deletion-waiting-period
    "Sign": (("kms:SigningAlgorithm", "SigningAlgorithm", None), ("kms:MessageType", "MessageType", "RAW")),
    "Verify": (("kms:SigningAlgorithm", "SigningAlgorithm", None), ("kms:MessageType", "MessageType", "RAW")),
    "UpdatePrimaryRegion": (("kms:PrimaryRegion", "PrimaryRegion", None),),
}

#: Keys the condition keys page gives as "IAM policies only": a key policy never sees them.
IAM_POLICY_ONLY = ("kms:ResourceAliases",)


def request_context(call: dispatch.KmsCall, action: str, principal: Principal, key: Any) -> conditions.Context:
    """The condition keys of `action` on `key` (None for operations without a key)."""
    p = call.params
    op = action.split(":", 1)[1]
    ctx = conditions.Context({
        "aws:PrincipalArn": principal.principal_arn,
        "aws:PrincipalAccount": principal.account,
        "aws:SecureTransport": bool(call.secure_transport),
    })
    if key is not None or op == "CreateKey" or op in CUSTOM_KEY_STORE_OPERATIONS:
        ctx["kms:CallerAccount"] = principal.account
    if call.via_service and (key is not None or op == "CreateKey"):
        ctx["kms:ViaService"] = call.via_service
    for name, param, default in PARAMETER_KEYS.get(op, ()):
        value = p.get(param, default)
        if value is not None:
            ctx[name] = value
    if op in ENCRYPTION_CONTEXT_OPERATIONS:
        _encryption_context(ctx, call, op)
    if op in ENCRYPTION_ALGORITHM_OPERATIONS:
        algorithm = {"ReEncryptFrom": p.get("SourceEncryptionAlgorithm"),
                     "ReEncryptTo": p.get("DestinationEncryptionAlgorithm")}.get(op, p.get("EncryptionAlgorithm"))
        ctx["kms:EncryptionAlgorithm"] = algorithm or "SYMMETRIC_DEFAULT"
    if op in ("ReEncryptFrom", "ReEncryptTo"):
        # the keys as authorization found them (authorization._reencrypt_keys)
        source, destination = call.notes.get("key"), call.notes.get("destination_key")
        ctx["kms:ReEncryptOnSameKey"] = source is not None and destination is not None \
            and source.arn == destination.arn
    if op in REQUEST_ALIAS_OPERATIONS:
        named = {"ReEncryptFrom": p.get("SourceKeyId"), "ReEncryptTo": p.get("DestinationKeyId")}.get(
            op, call.notes.get("key_ref", p.get("KeyId")))
        alias = _alias_name(named)
        if alias:
            ctx["kms:RequestAlias"] = alias
    if op == "CreateGrant":
        ctx["kms:GrantOperations"] = list(p.get("Operations") or [])
    if op in ("CreateGrant", "ListGrants", "RevokeGrant"):
        # true when an integrated AWS service asks on the caller's behalf (sources: console-default-policy)
        ctx["kms:GrantIsForAWSResource"] = bool(call.via_service)
    if op == "CreateKey":
        _key_properties(ctx, p.get("KeySpec") or p.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT",
                        p.get("KeyUsage") or "ENCRYPT_DECRYPT", p.get("Origin") or "AWS_KMS",
                        "PRIMARY" if p.get("MultiRegion") else None)   # CreateKey makes primary keys only
    elif key is not None:
        _key_properties(ctx, getattr(key, "key_spec", None) or "SYMMETRIC_DEFAULT",
                        getattr(key, "key_usage", None) or "ENCRYPT_DECRYPT",
                        getattr(key, "origin", None) or "AWS_KMS", _multi_region_key_type(key))
        ctx["kms:ResourceAliases"] = sorted(getattr(key, "aliases", None) or ())
    return ctx


def _key_properties(ctx: conditions.Context, spec: str, usage: str, origin: str, mr_type: str | None) -> None:
    ctx["kms:KeySpec"] = ctx["kms:CustomerMasterKeySpec"] = spec
    ctx["kms:KeyUsage"] = ctx["kms:CustomerMasterKeyUsage"] = usage
    ctx["kms:KeyOrigin"] = origin
    ctx["kms:MultiRegion"] = mr_type is not None
    if mr_type is not None:   # "Only multi-Region keys have a MultiRegionKeyType property"
        ctx["kms:MultiRegionKeyType"] = mr_type


def _multi_region_key_type(key: Any) -> str | None:
    if not getattr(key, "multi_region", False):
        return None
    primary = ((getattr(key, "multi_region_configuration", None) or {}).get("PrimaryKey") or {}).get("Arn")
    return "REPLICA" if primary and primary != key.arn else "PRIMARY"


def _encryption_context(ctx: conditions.Context, call: dispatch.KmsCall, op: str) -> None:
    p = call.params
    if op in ("CreateGrant", "RetireGrant"):
        # the grant's constraints: the request's for CreateGrant, the grant's own for RetireGrant
        grant = (call.notes.get("grant") or (None, None))[1]
        constraints = p.get("Constraints") if op == "CreateGrant" else getattr(grant, "constraints", None)
        constraints = constraints if isinstance(constraints, dict) else {}
        ec = {**(constraints.get("EncryptionContextSubset") or {}), **(constraints.get("EncryptionContextEquals") or {})}
        kinds = [k for k in ("EncryptionContextEquals", "EncryptionContextSubset") if constraints.get(k) is not None]
        if kinds:
            ctx["kms:GrantConstraintType"] = kinds if len(kinds) > 1 else kinds[0]
    else:
        ec = {"ReEncryptFrom": p.get("SourceEncryptionContext"),
              "ReEncryptTo": p.get("DestinationEncryptionContext")}.get(op, p.get("EncryptionContext"))
    if ec:
        for k, v in ec.items():
            ctx[f"kms:EncryptionContext:{k}"] = v
        ctx["kms:EncryptionContextKeys"] = list(ec)


def _alias_name(ref: Any) -> str | None:
    """The alias name a key reference uses, if it is an alias name or alias ARN."""
    if not isinstance(ref, str):
        return None
    if ref.startswith("alias/"):
        return ref
    if ref.startswith("arn:") and ":alias/" in ref:
        return "alias/" + ref.split(":alias/", 1)[1]
    return None
