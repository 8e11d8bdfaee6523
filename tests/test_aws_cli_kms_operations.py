"""The AWS CLI meets the operations moto lacks at the local endpoint: custom key stores,
DeriveSharedSecret, Ed25519 signing, HMAC import, GetKeyLastUsage and UpdatePrimaryRegion.
The endpoint shares this module's sandbox, so the test moves its clock.

Encapsulate/Decapsulate are not here: the AWS CLI v1 (1.46) bundles its own botocore 1.43,
whose KMS model predates them; boto3 tests cover them (test_kms_shared_secrets.py)."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from kmslab.service import custom_key_stores

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def aws(endpoint, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("cli")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": ""}
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(name, None)

    def run(*args, ok=True):
        out = subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", endpoint.url, "--output", "json",
                              *args], capture_output=True, text=True, env=env, timeout=60, cwd=workdir)
        if ok:
            assert out.returncode == 0, out.stderr
            return json.loads(out.stdout) if out.stdout.strip() else {}
        assert out.returncode != 0
        return out.stderr

    run.dir = workdir
    return run


def _file(aws, name: str, data: bytes) -> str:
    (aws.dir / name).write_bytes(data)
    return f"fileb://{name}"


def test_custom_key_store_lifecycle(aws, sb):
    store = aws("kms", "create-custom-key-store", "--custom-key-store-name", "cli-store",
                "--cloud-hsm-cluster-id", "cluster-clitestabcde", "--key-store-password", "kmsPswd1",
                "--trust-anchor-certificate", "-----BEGIN CERTIFICATE-----")["CustomKeyStoreId"]
    aws("kms", "connect-custom-key-store", "--custom-key-store-id", store)
    assert aws("kms", "describe-custom-key-stores", "--custom-key-store-id",
               store)["CustomKeyStores"][0]["ConnectionState"] == "CONNECTING"
    sb.clock.advance(custom_key_stores.CONNECT_SECONDS)
    key = aws("kms", "create-key", "--origin", "AWS_CLOUDHSM", "--custom-key-store-id", store)["KeyMetadata"]
    assert key["CustomKeyStoreId"] == store
    plaintext = _file(aws, "note.txt", b"hello")
    aws("kms", "encrypt", "--key-id", key["Arn"], "--plaintext", plaintext)
    aws("kms", "disconnect-custom-key-store", "--custom-key-store-id", store)
    assert "KMSInvalidStateException" in aws("kms", "encrypt", "--key-id", key["Arn"], "--plaintext", plaintext,
                                             ok=False)
    assert "CustomKeyStoreInvalidStateException" in aws("kms", "delete-custom-key-store",
                                                        "--custom-key-store-id", store, ok=False)


def test_derive_shared_secret(aws):
    key = aws("kms", "create-key", "--key-spec", "ECC_NIST_P256", "--key-usage", "KEY_AGREEMENT")["KeyMetadata"]
    peer = ec.generate_private_key(ec.SECP256R1())
    peer_der = peer.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    out = aws("kms", "derive-shared-secret", "--key-id", key["KeyId"], "--key-agreement-algorithm", "ECDH",
              "--public-key", _file(aws, "peer.der", peer_der))
    public = serialization.load_der_public_key(base64.b64decode(
        aws("kms", "get-public-key", "--key-id", key["KeyId"])["PublicKey"]))
    assert base64.b64decode(out["SharedSecret"]) == peer.exchange(ec.ECDH(), public)


def test_ed25519_signing(aws):
    spec, algorithm = "ECC_NIST_EDWARDS25519", "ED25519_SHA_512"
    key = aws("kms", "create-key", "--key-spec", spec, "--key-usage", "SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    message = _file(aws, "message.txt", b"signed at the command line")
    signature = aws("kms", "sign", "--key-id", key, "--message", message, "--signing-algorithm", algorithm)["Signature"]
    public = serialization.load_der_public_key(base64.b64decode(
        aws("kms", "get-public-key", "--key-id", key)["PublicKey"]))
    public.verify(base64.b64decode(signature), b"signed at the command line")


def test_import_hmac_material(aws):
    key = aws("kms", "create-key", "--key-spec", "HMAC_256", "--key-usage", "GENERATE_VERIFY_MAC",
              "--origin", "EXTERNAL")["KeyMetadata"]["KeyId"]
    params = aws("kms", "get-parameters-for-import", "--key-id", key, "--wrapping-algorithm", "RSAES_OAEP_SHA_256",
                 "--wrapping-key-spec", "RSA_3072")
    material = os.urandom(32)
    wrapping = serialization.load_der_public_key(base64.b64decode(params["PublicKey"]))
    wrapped = wrapping.encrypt(material, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    aws("kms", "import-key-material", "--key-id", key, "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE",
        "--encrypted-key-material", _file(aws, "wrapped.bin", wrapped),
        "--import-token", _file(aws, "token.bin", base64.b64decode(params["ImportToken"])))
    mac = aws("kms", "generate-mac", "--key-id", key, "--mac-algorithm", "HMAC_SHA_256",
              "--message", _file(aws, "m.txt", b"m"))["Mac"]
    offline = hmac.HMAC(material, hashes.SHA256())
    offline.update(b"m")
    assert base64.b64decode(mac) == offline.finalize()


def test_key_last_usage_and_update_primary_region(aws):
    key = aws("kms", "create-key", "--multi-region")["KeyMetadata"]
    aws("kms", "encrypt", "--key-id", key["Arn"], "--plaintext", _file(aws, "x.txt", b"x"))
    assert aws("kms", "get-key-last-usage", "--key-id", key["KeyId"])["KeyLastUsage"]["Operation"] == "Encrypt"
    aws("kms", "replicate-key", "--key-id", key["KeyId"], "--replica-region", "eu-west-1")
    aws("kms", "update-primary-region", "--key-id", key["KeyId"], "--primary-region", "eu-west-1")
    config = aws("kms", "describe-key", "--key-id", key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert config["MultiRegionKeyType"] == "REPLICA" and config["PrimaryKey"]["Region"] == "eu-west-1"
