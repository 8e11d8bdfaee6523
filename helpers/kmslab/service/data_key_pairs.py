"""GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext (moto: not implemented).

KMS makes a fresh key pair, returns the public key (DER SubjectPublicKeyInfo) and
the private key (PKCS#8 DER) encrypted under the named symmetric encryption key,
with the request's encryption context; kms.decrypt of that blob gives the PKCS#8
private key back (sources: data-key-pairs).
"""
from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from . import dispatch, key_specs, symmetric
from .asymmetric import b64, find_key
from .errors import unsupported, validation

_CURVES = {"ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1,
           "ECC_NIST_P521": ec.SECP521R1, "ECC_SECG_P256K1": ec.SECP256K1}
_RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
_ML_KEM = ("ML_KEM_512", "ML_KEM_768", "ML_KEM_1024")


def new_key_pair(spec: str):
    """A fresh private key for a DataKeyPairSpec (sources: data-key-pairs)."""
    if spec in _RSA_BITS:
        return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS[spec])
    if spec in _CURVES:
        return ec.generate_private_key(_CURVES[spec]())
    if spec == "ECC_NIST_EDWARDS25519":
        return ed25519.Ed25519PrivateKey.generate()
    if spec == "SM2":  # sources: china-regions
        raise unsupported("KeyPairSpec SM2 is only available in the China Regions.")
    if spec in _ML_KEM:
        # API_GenerateDataKeyPair: ML-KEM private keys come as PKCS #8 in seed form, which is
        # what `cryptography` writes. ML_KEM_512 is not in the installed `cryptography`.
        if not key_specs.supported(spec):
            raise unsupported(f"KeyPairSpec {spec} is not supported in this Region.")
        return key_specs.NEW_SPECS[spec][1]()
    raise validation(f"1 validation error detected: Value '{spec}' at 'keyPairSpec' failed to "
                     "satisfy constraint: Member must satisfy enum value set: "
                     f"[{', '.join([*_RSA_BITS, *_CURVES, 'SM2', 'ECC_NIST_EDWARDS25519', *_ML_KEM])}]")


def _seal(key, plaintext: bytes, context: dict) -> tuple[bytes, str]:
    """Encrypt `plaintext` under the symmetric key, as Encrypt would: (blob, KeyMaterialId)."""
    material = symmetric.current_material(key)
    return symmetric.seal(key, plaintext, context, material), material.id


def _generate(call: dispatch.KmsCall, with_plaintext: bool) -> dict:
    spec = call.params.get("KeyPairSpec")
    if not spec:
        raise validation("1 validation error detected: Value null at 'keyPairSpec' failed to "
                         "satisfy constraint: Member must not be null")
    key = find_key(call)
    # key_usage.py refuses a key that is not a symmetric encryption key (sources: data-key-pairs).
    pair = new_key_pair(spec)
    private_der = pair.private_bytes(serialization.Encoding.DER,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    public_der = pair.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    sealed, material_id = _seal(key, private_der, call.params.get("EncryptionContext") or {})
    result = {"PrivateKeyCiphertextBlob": b64(sealed), "PublicKey": b64(public_der),
              "KeyId": key.arn, "KeyPairSpec": spec,
              "KeyMaterialId": material_id}  # the material that encrypted the private key
    if with_plaintext:
        result["PrivateKeyPlaintext"] = b64(private_der)
    return result


@dispatch.operation("GenerateDataKeyPair")
def generate_data_key_pair(call: dispatch.KmsCall) -> dict:
    return _generate(call, with_plaintext=True)


@dispatch.operation("GenerateDataKeyPairWithoutPlaintext")
def generate_data_key_pair_without_plaintext(call: dispatch.KmsCall) -> dict:
    return _generate(call, with_plaintext=False)
