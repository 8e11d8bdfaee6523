"""A representative subset of the KMS core rules, seen by a plain boto3 client over HTTP."""
import os

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from kmslab import clock
from kmslab.server import LocalEndpoint
from kmslab.service.multi_region import REPLICA_CREATION_SECONDS


@pytest.fixture(scope="module")
def endpoint():
    server = LocalEndpoint()
    yield server
    server.stop()


def client(endpoint, region="us-east-1"):
    return boto3.client("kms", region_name=region, endpoint_url=endpoint.url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def kms(endpoint):
    return client(endpoint)


def code_of(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"]


def test_arn_forms_and_disabled_key(kms):
    key = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=key["Arn"])  # moto alone: KeyError -> HTTP 500
    assert code_of(kms.encrypt, KeyId=key["Arn"], Plaintext=b"x") == "DisabledException"


def test_pending_deletion_and_window(kms):
    key = kms.create_key()["KeyMetadata"]
    assert code_of(kms.schedule_key_deletion, KeyId=key["KeyId"], PendingWindowInDays=31) == "ValidationException"
    kms.schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=7)
    assert code_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == "KMSInvalidStateException"


def test_wrong_key_and_usage(kms):
    a, b = (kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2))
    blob = kms.encrypt(KeyId=a, Plaintext=b"x")["CiphertextBlob"]
    assert code_of(kms.decrypt, CiphertextBlob=blob, KeyId=b) == "IncorrectKeyException"
    assert code_of(kms.encrypt, KeyId=a, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1") == \
        "InvalidKeyUsageException"


def test_rotation_changes_material(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    old = kms.encrypt(KeyId=key, Plaintext=b"old")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key)
    new = kms.encrypt(KeyId=key, Plaintext=b"new")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old)["KeyMaterialId"] != kms.decrypt(CiphertextBlob=new)["KeyMaterialId"]


def test_aws_managed_key(kms):
    assert kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["KeyManager"] == "AWS"


def test_import_key_material(kms):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = kms.get_parameters_for_import(KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    public = serialization.load_der_public_key(params["PublicKey"])
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    kms.import_key_material(KeyId=key, ImportToken=params["ImportToken"],
                            EncryptedKeyMaterial=public.encrypt(os.urandom(32), oaep),
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key, Plaintext=b"b")["CiphertextBlob"])["Plaintext"] == b"b"


def test_multi_region_replica_decrypts(endpoint, kms):
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="eu-central-1")
    clock.current().sleep(REPLICA_CREATION_SECONDS)  # Creating until the sandbox clock moves on
    blob = kms.encrypt(KeyId=primary["KeyId"], Plaintext=b"m")["CiphertextBlob"]
    assert client(endpoint, "eu-central-1").decrypt(CiphertextBlob=blob)["Plaintext"] == b"m"
