"""Key usage: which keys and algorithms each operation accepts, in one table.

AWS (sources: key-specs, symmetric-default, key-usage, rsa-algorithms, signing-algorithms, hmac-keys, services-use-symmetric-keys; botocore KMS model, CreateKey.KeyUsage/KeySpec):
a key has exactly one KeyUsage, fixed at creation, and only some KeySpec/KeyUsage
pairs exist. Using a key for an operation its usage or spec does not allow, or with
an algorithm its spec does not support, fails with InvalidKeyUsageException.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import dispatch
from .errors import KmsError

RSA = ("RSA_2048", "RSA_3072", "RSA_4096")
HMAC = ("HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512")
NIST_ECC = ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521")
ML_DSA = ("ML_DSA_44", "ML_DSA_65", "ML_DSA_87")
ML_KEM = ("ML_KEM_512", "ML_KEM_768", "ML_KEM_1024")

# (sources: key-usage) the usages each key spec allows.
USAGES_BY_SPEC: dict[str, tuple[str, ...]] = {
    "SYMMETRIC_DEFAULT": ("ENCRYPT_DECRYPT",),
    **{spec: ("GENERATE_VERIFY_MAC",) for spec in HMAC},
    **{spec: ("ENCRYPT_DECRYPT", "SIGN_VERIFY") for spec in RSA},
    **{spec: ("SIGN_VERIFY", "KEY_AGREEMENT") for spec in NIST_ECC},
    "ECC_SECG_P256K1": ("SIGN_VERIFY",),
    "ECC_NIST_EDWARDS25519": ("SIGN_VERIFY",),
    **{spec: ("SIGN_VERIFY",) for spec in ML_DSA},
    # botocore KMS model, CreateKey.KeyUsage: ML-KEM key pairs use ENCAPSULATE_DECAPSULATE
    **{spec: ("ENCAPSULATE_DECAPSULATE",) for spec in ML_KEM},
    "SM2": ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"),
}

# (sources: symmetric-default, rsa-algorithms, hmac-keys) encryption and MAC algorithms by key spec.
ENCRYPTION_ALGORITHMS = {"SYMMETRIC_DEFAULT": ("SYMMETRIC_DEFAULT",),
                         **{spec: ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256") for spec in RSA},
                         "SM2": ("SM2PKE",)}
MAC_ALGORITHMS = {spec: (f"HMAC_SHA_{spec[5:]}",) for spec in HMAC}


@dataclass(frozen=True)
class Use:
    usage: str  # the KeyUsage the operation needs
    specs: tuple[str, ...] | None = None  # key specs allowed (None: any with that usage)
    algorithm_param: str | None = None  # the parameter naming the algorithm, if any
    default_algorithm: str | None = None


_ENCRYPTION = Use("ENCRYPT_DECRYPT", ("SYMMETRIC_DEFAULT", *RSA, "SM2"), "EncryptionAlgorithm",
                  "SYMMETRIC_DEFAULT")
_DATA_KEY = Use("ENCRYPT_DECRYPT", ("SYMMETRIC_DEFAULT",))  # (sources: data-key-pairs) symmetric only
_MAC = Use("GENERATE_VERIFY_MAC", HMAC, "MacAlgorithm")

#: The one table: operation -> what it needs from the key.
OPERATIONS: dict[str, Use] = {
    "Encrypt": _ENCRYPTION,
    "Decrypt": _ENCRYPTION,
    "GenerateDataKey": _DATA_KEY,
    "GenerateDataKeyWithoutPlaintext": _DATA_KEY,
    "GenerateDataKeyPair": _DATA_KEY,
    "GenerateDataKeyPairWithoutPlaintext": _DATA_KEY,
    "Sign": Use("SIGN_VERIFY"),
    "Verify": Use("SIGN_VERIFY"),
    "GenerateMac": _MAC,
    "VerifyMac": _MAC,
    "DeriveSharedSecret": Use("KEY_AGREEMENT"),
    "Encapsulate": Use("ENCAPSULATE_DECAPSULATE", ML_KEM),
    "Decapsulate": Use("ENCAPSULATE_DECAPSULATE", ML_KEM),
}


def _refuse(key, operation: str, what: str) -> KmsError:
    return KmsError("InvalidKeyUsageException", f"{key.arn} {what} which is not valid for {operation}.")


def check(key, operation: str, use: Use, algorithm: str | None) -> None:
    if key.key_usage != use.usage:
        raise _refuse(key, operation, f"key usage is {key.key_usage}")
    if use.specs is not None and key.key_spec not in use.specs:
        raise _refuse(key, operation, f"key spec is {key.key_spec}")
    if use.algorithm_param is None:
        return
    algorithm = algorithm or use.default_algorithm
    allowed = (ENCRYPTION_ALGORITHMS if use.algorithm_param == "EncryptionAlgorithm"
               else MAC_ALGORITHMS).get(key.key_spec, ())
    if algorithm is not None and algorithm not in allowed:
        raise KmsError("InvalidKeyUsageException",
                       f"Algorithm {algorithm} is incompatible with key spec {key.key_spec}.")


@dispatch.before(dispatch.VALIDATE, "key-usage")
def check_usage(call: dispatch.KmsCall) -> None:
    op = call.operation
    if op == "CreateKey":
        check_create(call.params)
        return
    key = call.notes.get("key")
    if key is None:
        return
    if op == "ReEncrypt":
        check(key, op, _ENCRYPTION, call.params.get("SourceEncryptionAlgorithm"))
        check(call.notes["destination_key"], op, _ENCRYPTION,
              call.params.get("DestinationEncryptionAlgorithm"))
        return
    use = OPERATIONS.get(op)
    if use is not None:
        check(key, op, use, call.params.get(use.algorithm_param) if use.algorithm_param else None)


def check_create(params: dict) -> None:
    """(sources: key-usage) only some KeySpec/KeyUsage pairs exist."""
    spec = params.get("KeySpec") or params.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if not params.get("KeyUsage") and spec != "SYMMETRIC_DEFAULT":
        # "This parameter is optional when you are creating a symmetric encryption KMS key;
        # otherwise, it is required." https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html
        raise KmsError("ValidationException", "You must specify a KeyUsage value for all KMS keys "
                                              "except for symmetric encryption keys.")
    usage = params.get("KeyUsage") or "ENCRYPT_DECRYPT"
    allowed = USAGES_BY_SPEC.get(spec)
    if allowed is not None and usage not in allowed:
        raise KmsError("ValidationException",
                       f"KeyUsage {usage} is not compatible with KeySpec {spec}")
