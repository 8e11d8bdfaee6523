"""Key specs newer than moto: Ed25519, ML-DSA and ML-KEM keys made with `cryptography`,
and the algorithms each key spec lists.

AWS (botocore KMS model, CreateKey.KeySpec and KeyUsage; Key spec reference,
https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-spec.html):
- ECC_NIST_EDWARDS25519 signs with ED25519_SHA_512 (MessageType RAW) or
  ED25519_PH_SHA_512 (MessageType DIGEST);
- ML_DSA_44/65/87 sign with ML_DSA_SHAKE_256
  (https://docs.aws.amazon.com/kms/latest/developerguide/mldsa.html);
- ML_KEM_512/768/1024 keys have KeyUsage ENCAPSULATE_DECAPSULATE and the algorithm ML_KEM;
- SM2 exists only in the China Regions.

moto 5.2 refuses the first three at CreateKey. Here they are created with a real
`cryptography` private key, when the installed `cryptography` has the algorithm. A key
spec the sandbox cannot make (ML_KEM_512: `cryptography` has ML-KEM-768 and -1024 only;
SM2: China Regions, and `cryptography` has no SM2) is refused as AWS refuses a key spec
a Region does not offer: UnsupportedOperationException "KeySpec <spec> is not supported
in this Region." The ledger page lists them.

moto's Key.signing_algorithms / encryption_algorithms are replaced by the tables here, so
Sign/Verify, GetPublicKey and DescribeKey read one list per key spec and usage.
"""
from __future__ import annotations

from typing import Any, Callable

from . import dispatch, key_metadata
from .errors import KmsError


def _ed25519() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519.Ed25519PrivateKey.generate()


def _mldsa(level: int) -> Callable[[], Any]:
    def make() -> Any:
        from cryptography.hazmat.primitives.asymmetric import mldsa

        return getattr(mldsa, f"MLDSA{level}PrivateKey").generate()

    return make


def _mlkem(level: int) -> Callable[[], Any]:
    def make() -> Any:
        from cryptography.hazmat.primitives.asymmetric import mlkem

        return getattr(mlkem, f"MLKEM{level}PrivateKey").generate()

    return make


def _available(feature: str) -> bool:
    """Whether the installed `cryptography` (and its OpenSSL) has the algorithm."""
    from cryptography.hazmat.backends.openssl.backend import backend

    try:
        if feature == "ed25519":
            return bool(backend.ed25519_supported())
        if feature == "mldsa":
            from cryptography.hazmat.primitives.asymmetric import mldsa  # noqa: F401

            return bool(backend.mldsa_supported())
        if feature == "mlkem":
            from cryptography.hazmat.primitives.asymmetric import mlkem  # noqa: F401

            return bool(getattr(backend, "mlkem_supported", lambda: True)())
    except (ImportError, AttributeError):
        return False
    return False


#: Key specs moto cannot make: spec -> (cryptography feature, key factory).
NEW_SPECS: dict[str, tuple[str, Callable[[], Any]]] = {
    "ECC_NIST_EDWARDS25519": ("ed25519", _ed25519),
    "ML_DSA_44": ("mldsa", _mldsa(44)),
    "ML_DSA_65": ("mldsa", _mldsa(65)),
    "ML_DSA_87": ("mldsa", _mldsa(87)),
    "ML_KEM_768": ("mlkem", _mlkem(768)),
    "ML_KEM_1024": ("mlkem", _mlkem(1024)),
}
#: Key specs AWS has that the sandbox cannot make, and why (shown on the ledger page).
NOT_MADE = {
    "ML_KEM_512": "the installed cryptography has ML-KEM-768 and ML-KEM-1024 only",
    "SM2": "China Regions only; cryptography has no SM2",
}


def supported(spec: str) -> bool:
    if spec in NOT_MADE:
        return False
    if spec in NEW_SPECS:
        return _available(NEW_SPECS[spec][0])
    return True


# -- the algorithms of each key spec -------------------------------------------------

_RSA_SIGNING = ["RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
                "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"]  # the order KMS lists them
SIGNING_ALGORITHMS: dict[str, list[str]] = {
    **{f"RSA_{bits}": _RSA_SIGNING for bits in (2048, 3072, 4096)},
    "ECC_NIST_P256": ["ECDSA_SHA_256"], "ECC_SECG_P256K1": ["ECDSA_SHA_256"],
    "ECC_NIST_P384": ["ECDSA_SHA_384"], "ECC_NIST_P521": ["ECDSA_SHA_512"],
    "ECC_NIST_EDWARDS25519": ["ED25519_SHA_512", "ED25519_PH_SHA_512"],
    **{f"ML_DSA_{n}": ["ML_DSA_SHAKE_256"] for n in (44, 65, 87)},
    "SM2": ["SM2DSA"],
}
ENCRYPTION_ALGORITHMS: dict[str, list[str]] = {
    "SYMMETRIC_DEFAULT": ["SYMMETRIC_DEFAULT"],
    **{f"RSA_{bits}": ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] for bits in (2048, 3072, 4096)},
    "SM2": ["SM2PKE"],
}
KEY_AGREEMENT_ALGORITHMS = ["ECDH"]
ENCAPSULATION_ALGORITHMS = ["ML_KEM"]


def signing_algorithms(key: Any) -> list[str] | None:
    if key.key_usage != "SIGN_VERIFY":
        return None
    return list(SIGNING_ALGORITHMS.get(key.key_spec, []))


def encryption_algorithms(key: Any) -> list[str] | None:
    if (key.key_usage or "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        return None
    return list(ENCRYPTION_ALGORITHMS.get(key.key_spec, []))


@key_metadata.contributes
def describe_algorithms(key: Any, meta: dict) -> None:
    """KeyMetadata.KeyAgreementAlgorithms / EncapsulationAlgorithms (botocore KMS model)."""
    if key.key_usage == "KEY_AGREEMENT":
        meta["KeyAgreementAlgorithms"] = list(KEY_AGREEMENT_ALGORITHMS)
    elif key.key_usage == "ENCAPSULATE_DECAPSULATE":
        meta["EncapsulationAlgorithms"] = list(ENCAPSULATION_ALGORITHMS)


@dispatch.before(dispatch.VALIDATE, "key-spec-offered")
def refuse_unoffered(call: dispatch.KmsCall) -> None:
    """CreateKey with a key spec this sandbox cannot make: answered as a Region without it."""
    if call.operation != "CreateKey":
        return
    spec = call.params.get("KeySpec") or call.params.get("CustomerMasterKeySpec")
    if spec and not supported(spec):
        raise KmsError("UnsupportedOperationException", f"KeySpec {spec} is not supported in this Region.")


def install() -> None:
    import moto.kms.models as models

    if getattr(models.Key, "_kmslab_key_specs", False):
        return
    generate = models.generate_private_key

    def generate_private_key(key_spec: str):  # type: ignore[no-untyped-def]
        if key_spec in NEW_SPECS:
            return NEW_SPECS[key_spec][1]()
        return generate(key_spec)

    models.generate_private_key = generate_private_key
    check_spec = models.KmsBackend._KmsBackend__ensure_valid_key_spec

    def ensure_valid_key_spec(self, key_spec: str) -> None:  # type: ignore[no-untyped-def]
        if key_spec not in NEW_SPECS:
            check_spec(self, key_spec)

    models.KmsBackend._KmsBackend__ensure_valid_key_spec = ensure_valid_key_spec
    models.Key.signing_algorithms = property(signing_algorithms)
    models.Key.encryption_algorithms = property(encryption_algorithms)
    models.Key._kmslab_key_specs = True


install()
