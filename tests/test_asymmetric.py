"""Real asymmetric cryptography: RSAES-OAEP, Sign/Verify, GetPublicKey, data key pairs.

Every behaviour goes through a real boto3 client; signatures and ciphertexts are
checked offline with `cryptography` and the public key from GetPublicKey. A
subset runs against the local endpoint with a plain boto3 client.
"""
from __future__ import annotations

import hashlib

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmslab import sandbox, service
from kmslab.server import LocalEndpoint

service.install()

HASH = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}
# sources: encrypt-plaintext-limits
LIMITS = {("RSA_2048", "RSAES_OAEP_SHA_1"): 214, ("RSA_2048", "RSAES_OAEP_SHA_256"): 190,
          ("RSA_3072", "RSAES_OAEP_SHA_1"): 342, ("RSA_3072", "RSAES_OAEP_SHA_256"): 318,
          ("RSA_4096", "RSAES_OAEP_SHA_1"): 470, ("RSA_4096", "RSAES_OAEP_SHA_256"): 446}
SIGNING = [("RSA_2048", a) for a in ("RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384",
                                      "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256",
                                      "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512")]
SIGNING += [("ECC_NIST_P256", "ECDSA_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_384"),
            ("ECC_NIST_P521", "ECDSA_SHA_512"), ("ECC_SECG_P256K1", "ECDSA_SHA_256")]
PAIR_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384",
              "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"]


@pytest.fixture(scope="module")
def env():
    """One sandbox and one key per spec for the whole module (keys cost 40-330 ms)."""
    box = sandbox.start()
    kms = box.client("kms")
    keys = {"symmetric": kms.create_key()["KeyMetadata"]["Arn"]}
    for spec in ("RSA_2048", "RSA_3072", "RSA_4096"):
        keys[spec] = kms.create_key(KeySpec=spec, KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
    for spec in {spec for spec, _ in SIGNING}:
        keys["sign-" + spec] = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    yield kms, keys
    box.stop()


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def public_key(kms, key_id):
    return serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])


def offline_verify(public, algorithm, signature, message):
    """Verify with standard parameters, as a learner would outside AWS."""
    h = HASH[algorithm[-7:]]()
    if algorithm.startswith("ECDSA"):
        public.verify(signature, message, ec.ECDSA(h))
    elif "PSS" in algorithm:
        public.verify(signature, message, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    else:
        public.verify(signature, message, padding.PKCS1v15(), h)


def oaep(algorithm):
    h = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)


# -- RSAES-OAEP ---------------------------------------------------------------------------
@pytest.mark.parametrize("spec,algorithm", sorted(LIMITS))
def test_rsa_encrypt_is_real_oaep_at_the_size_limit(env, spec, algorithm):
    kms, keys = env
    limit = LIMITS[spec, algorithm]
    out = kms.encrypt(KeyId=keys[spec], Plaintext=b"x" * limit, EncryptionAlgorithm=algorithm)
    assert len(out["CiphertextBlob"]) == int(spec[4:]) // 8
    assert out["KeyId"] == keys[spec] and out["EncryptionAlgorithm"] == algorithm
    back = kms.decrypt(KeyId=keys[spec], CiphertextBlob=out["CiphertextBlob"],
                       EncryptionAlgorithm=algorithm)
    assert back["Plaintext"] == b"x" * limit and back["EncryptionAlgorithm"] == algorithm
    code, message = error_of(kms.encrypt, KeyId=keys[spec], Plaintext=b"x" * (limit + 1),
                             EncryptionAlgorithm=algorithm)
    assert code == "ValidationException"
    assert message == (f"Algorithm {algorithm} and key spec {spec} cannot encrypt data larger "
                       f"than {limit} bytes.")


def test_rsa_encrypt_requires_an_encryption_algorithm(env):
    kms, keys = env
    code, message = error_of(kms.encrypt, KeyId=keys["RSA_2048"], Plaintext=b"hi")
    assert code == "InvalidKeyUsageException"
    assert message == "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048."


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
def test_decrypt_accepts_ciphertext_made_outside_aws(env, algorithm):
    kms, keys = env
    blob = public_key(kms, keys["RSA_3072"]).encrypt(b"made offline", oaep(algorithm))
    out = kms.decrypt(KeyId=keys["RSA_3072"], CiphertextBlob=blob, EncryptionAlgorithm=algorithm)
    assert out["Plaintext"] == b"made offline" and out["KeyId"] == keys["RSA_3072"]


def test_garbled_or_mismatched_ciphertext_is_invalid(env):
    kms, keys = env
    blob = public_key(kms, keys["RSA_2048"]).encrypt(b"secret", oaep("RSAES_OAEP_SHA_256"))
    assert kms.decrypt(KeyId=keys["RSA_2048"], CiphertextBlob=blob,
                       EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"] == b"secret"
    garbled = bytes([blob[0] ^ 1]) + blob[1:]
    for key, data, algorithm in [("RSA_2048", garbled, "RSAES_OAEP_SHA_256"),
                                 ("RSA_2048", blob, "RSAES_OAEP_SHA_1"),
                                 ("RSA_2048", blob[:-1], "RSAES_OAEP_SHA_256"),
                                 ("RSA_4096", blob, "RSAES_OAEP_SHA_256")]:
        code, _ = error_of(kms.decrypt, KeyId=keys[key], CiphertextBlob=data,
                           EncryptionAlgorithm=algorithm)
        assert code == "InvalidCiphertextException"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plaintext=st.binary(min_size=1, max_size=190))
def test_any_plaintext_within_the_limit_round_trips(env, plaintext):
    kms, keys = env
    blob = kms.encrypt(KeyId=keys["RSA_2048"], Plaintext=plaintext,
                       EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    assert len(blob) == 256
    assert kms.decrypt(KeyId=keys["RSA_2048"], CiphertextBlob=blob,
                       EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"] == plaintext


def test_re_encrypt_between_symmetric_and_rsa_keys(env):
    kms, keys = env
    blob = kms.encrypt(KeyId=keys["symmetric"], Plaintext=b"move me")["CiphertextBlob"]
    to_rsa = kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=keys["RSA_2048"],
                            DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert len(to_rsa["CiphertextBlob"]) == 256
    back = kms.re_encrypt(CiphertextBlob=to_rsa["CiphertextBlob"], SourceKeyId=keys["RSA_2048"],
                          SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
                          DestinationKeyId=keys["symmetric"])
    assert kms.decrypt(CiphertextBlob=back["CiphertextBlob"])["Plaintext"] == b"move me"


def test_rsa_encrypt_refuses_empty_plaintext_and_encryption_context(env):
    kms, keys = env
    code, _ = error_of(kms.encrypt, KeyId=keys["RSA_2048"], Plaintext=b"",
                       EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code == "ValidationException"
    code, _ = error_of(kms.encrypt, KeyId=keys["RSA_2048"], Plaintext=b"x",
                       EncryptionContext={"a": "b"}, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code == "ValidationException"


# -- GetPublicKey -------------------------------------------------------------------------
def test_get_public_key_reports_the_key_spec(env):
    kms, keys = env
    out = kms.get_public_key(KeyId=keys["RSA_4096"])
    assert out["KeySpec"] == out["CustomerMasterKeySpec"] == "RSA_4096"
    assert out["KeyId"] == keys["RSA_4096"] and out["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert out["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    assert "SigningAlgorithms" not in out
    assert serialization.load_der_public_key(out["PublicKey"]).key_size == 4096

    out = kms.get_public_key(KeyId=keys["sign-ECC_NIST_P384"])
    assert out["KeySpec"] == "ECC_NIST_P384" and out["SigningAlgorithms"] == ["ECDSA_SHA_384"]
    assert "EncryptionAlgorithms" not in out
    assert serialization.load_der_public_key(out["PublicKey"]).curve.name == "secp384r1"


def test_symmetric_keys_have_no_public_key(env):
    kms, keys = env
    code, _ = error_of(kms.get_public_key, KeyId=keys["symmetric"])
    assert code == "UnsupportedOperationException"


# -- Sign / Verify --------------------------------------------------------------------------
@pytest.mark.parametrize("spec,algorithm", SIGNING)
def test_signatures_verify_offline_raw_and_digest(env, spec, algorithm):
    kms, keys = env
    key, message = keys["sign-" + spec], b"pay 100 to alice"
    public = public_key(kms, key)
    raw = kms.sign(KeyId=key, Message=message, SigningAlgorithm=algorithm)
    assert raw["KeyId"] == key and raw["SigningAlgorithm"] == algorithm
    offline_verify(public, algorithm, raw["Signature"], message)

    h = HASH[algorithm[-7:]]()
    digest = hashlib.new(h.name, message).digest()
    signed = kms.sign(KeyId=key, Message=digest, MessageType="DIGEST", SigningAlgorithm=algorithm)
    offline_verify(public, algorithm, signed["Signature"], message)  # the digest was signed, not re-hashed
    # A RAW signature verifies as DIGEST of the same message, and the reverse.
    assert kms.verify(KeyId=key, Message=digest, MessageType="DIGEST", Signature=raw["Signature"],
                      SigningAlgorithm=algorithm)["SignatureValid"] is True
    assert kms.verify(KeyId=key, Message=message, Signature=signed["Signature"],
                      SigningAlgorithm=algorithm)["SignatureValid"] is True


def test_ecdsa_signatures_are_der(env):
    kms, keys = env
    signature = kms.sign(KeyId=keys["sign-ECC_NIST_P256"], Message=b"m",
                         SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    r, s = utils.decode_dss_signature(signature)
    assert utils.encode_dss_signature(r, s) == signature


def test_rsa_pss_salt_is_the_digest_length(env):
    kms, keys = env
    key = keys["sign-RSA_2048"]
    signature = kms.sign(KeyId=key, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    public = public_key(kms, key)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
    public.verify(signature, b"m", pss, hashes.SHA256())
    # moto salts with the maximum length (222 bytes for RSA_2048 + SHA-256): any other length fails.
    with pytest.raises(InvalidSignature):
        public.verify(signature, b"m", padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                   salt_length=222), hashes.SHA256())


def test_invalid_signature_raises(env):
    kms, keys = env
    key = keys["sign-ECC_NIST_P256"]
    signature = kms.sign(KeyId=key, Message=b"original", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    code, _ = error_of(kms.verify, KeyId=key, Message=b"tampered", Signature=signature,
                       SigningAlgorithm="ECDSA_SHA_256")
    assert code == "KMSInvalidSignatureException"
    code, _ = error_of(kms.verify, KeyId=key, Message=b"original", Signature=b"not DER",
                       SigningAlgorithm="ECDSA_SHA_256")
    assert code == "KMSInvalidSignatureException"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_bit_flip_fails_verify(env, data):
    kms, keys = env
    spec, algorithm = data.draw(st.sampled_from([("RSA_2048", "RSASSA_PSS_SHA_256"),
                                                 ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
                                                 ("ECC_NIST_P256", "ECDSA_SHA_256")]))
    key = keys["sign-" + spec]
    signature = kms.sign(KeyId=key, Message=b"m", SigningAlgorithm=algorithm)["Signature"]
    bit = data.draw(st.integers(0, 4095)) % (len(signature) * 8)  # ECDSA lengths vary
    flipped = bytearray(signature)
    flipped[bit // 8] ^= 1 << (bit % 8)
    code, _ = error_of(kms.verify, KeyId=key, Message=b"m", Signature=bytes(flipped),
                       SigningAlgorithm=algorithm)
    assert code == "KMSInvalidSignatureException"


def test_digest_must_match_the_algorithm(env):
    kms, keys = env
    code, message = error_of(kms.sign, KeyId=keys["sign-ECC_NIST_P256"], Message=b"\0" * 48,
                             MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    assert (code, message) == ("ValidationException",
                               "Digest is invalid length for algorithm ECDSA_SHA_256.")


def test_raw_messages_are_limited_to_4096_bytes(env):
    kms, keys = env
    key = keys["sign-ECC_NIST_P256"]
    kms.sign(KeyId=key, Message=b"m" * 4096, SigningAlgorithm="ECDSA_SHA_256")
    code, _ = error_of(kms.sign, KeyId=key, Message=b"m" * 4097, SigningAlgorithm="ECDSA_SHA_256")
    assert code == "ValidationException"


def test_algorithm_must_fit_the_key(env):
    kms, keys = env
    code, message = error_of(kms.sign, KeyId=keys["sign-ECC_NIST_P256"], Message=b"m",
                             SigningAlgorithm="ECDSA_SHA_384")
    assert (code, message) == ("InvalidKeyUsageException",
                               "Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256.")


# -- Data key pairs -------------------------------------------------------------------------
@pytest.mark.parametrize("spec", PAIR_SPECS)
def test_generate_data_key_pair(env, spec):
    kms, keys = env
    context = {"purpose": "test"}
    out = kms.generate_data_key_pair(KeyId=keys["symmetric"], KeyPairSpec=spec,
                                     EncryptionContext=context)
    assert out["KeyId"] == keys["symmetric"] and out["KeyPairSpec"] == spec
    assert len(out["KeyMaterialId"]) == 64
    private = serialization.load_der_private_key(out["PrivateKeyPlaintext"], password=None)
    public = serialization.load_der_public_key(out["PublicKey"])
    assert private.public_key() == public
    if spec.startswith("RSA"):
        assert public.key_size == int(spec[4:])
    # The private key is sealed under the named symmetric key, with the context.
    back = kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"], EncryptionContext=context)
    assert back["Plaintext"] == out["PrivateKeyPlaintext"] and back["KeyId"] == keys["symmetric"]
    code, _ = error_of(kms.decrypt, CiphertextBlob=out["PrivateKeyCiphertextBlob"])
    assert code == "InvalidCiphertextException"


def test_generate_data_key_pair_without_plaintext(env):
    kms, keys = env
    out = kms.generate_data_key_pair_without_plaintext(KeyId=keys["symmetric"],
                                                       KeyPairSpec="ECC_NIST_P256")
    assert "PrivateKeyPlaintext" not in out and out["KeyPairSpec"] == "ECC_NIST_P256"
    pkcs8 = kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"])["Plaintext"]
    private = serialization.load_der_private_key(pkcs8, password=None)
    assert private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == out["PublicKey"]


@pytest.mark.parametrize("key", ["RSA_2048", "sign-ECC_NIST_P256"])
def test_data_key_pairs_need_a_symmetric_key(env, key):
    kms, keys = env
    code, _ = error_of(kms.generate_data_key_pair, KeyId=keys[key], KeyPairSpec="RSA_2048")
    assert code == "InvalidKeyUsageException"


# -- the local endpoint, with a plain boto3 client ------------------------------------------------
@pytest.fixture(scope="module")
def plain():
    endpoint = LocalEndpoint()
    client = boto3.client("kms", endpoint_url=endpoint.url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    yield client
    endpoint.stop()


def test_endpoint_sign_verify_and_public_key(plain):
    key = plain.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    out = plain.get_public_key(KeyId=key)
    assert out["KeySpec"] == "RSA_2048" and out["KeyId"] == key
    digest = hashlib.sha256(b"m").digest()
    signature = plain.sign(KeyId=key, Message=digest, MessageType="DIGEST",
                           SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    offline_verify(serialization.load_der_public_key(out["PublicKey"]), "RSASSA_PSS_SHA_256",
                   signature, b"m")
    code, _ = error_of(plain.verify, KeyId=key, Message=b"other", Signature=signature,
                       SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert code == "KMSInvalidSignatureException"


def test_endpoint_generate_data_key_pair(plain):
    key = plain.create_key()["KeyMetadata"]["Arn"]
    out = plain.generate_data_key_pair(KeyId=key, KeyPairSpec="ECC_NIST_P384",
                                       EncryptionContext={"a": "b"})
    back = plain.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"], EncryptionContext={"a": "b"})
    assert back["Plaintext"] == out["PrivateKeyPlaintext"]


def test_endpoint_rsa_encrypt_and_offline_ciphertext(plain):
    key = plain.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
    blob = plain.encrypt(KeyId=key, Plaintext=b"hi", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    assert len(blob) == 256
    public = serialization.load_der_public_key(plain.get_public_key(KeyId=key)["PublicKey"])
    offline = public.encrypt(b"offline", oaep("RSAES_OAEP_SHA_256"))
    assert plain.decrypt(KeyId=key, CiphertextBlob=offline,
                         EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"] == b"offline"
