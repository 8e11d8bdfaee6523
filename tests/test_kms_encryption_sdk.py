"""The AWS Encryption SDK round-trips against the sandbox, including a multi-Region key."""
import aws_encryption_sdk
import botocore.session
import pytest
from aws_encryption_sdk.key_providers.kms import (MRKAwareStrictAwsKmsMasterKeyProvider,
                                                  StrictAwsKmsMasterKeyProvider)

from kmslab.service.multi_region import REPLICA_CREATION_SECONDS



@pytest.fixture(scope="module")
def client():
    return aws_encryption_sdk.EncryptionSDKClient()


def test_strict_provider_round_trip(kms, client):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    provider = StrictAwsKmsMasterKeyProvider(key_ids=[arn], botocore_session=botocore.session.Session())
    message, header = client.encrypt(source=b"payload" * 100, key_provider=provider,
                                     encryption_context={"purpose": "test"})
    plaintext, decrypted_header = client.decrypt(source=message, key_provider=provider)
    assert plaintext == b"payload" * 100
    assert decrypted_header.encryption_context["purpose"] == "test"


def test_mrk_aware_provider_decrypts_in_replica_region(sb, kms, client):
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    replica = kms.replicate_key(KeyId=primary["Arn"], ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]
    sb.clock.advance(REPLICA_CREATION_SECONDS)  # the replica is Creating until the clock moves on
    session = botocore.session.Session()
    encryptor = MRKAwareStrictAwsKmsMasterKeyProvider(key_ids=[primary["Arn"]], botocore_session=session)
    message, _ = client.encrypt(source=b"across regions", key_provider=encryptor)
    decryptor = MRKAwareStrictAwsKmsMasterKeyProvider(key_ids=[replica["Arn"]], botocore_session=session)
    plaintext, _ = client.decrypt(source=message, key_provider=decryptor)
    assert plaintext == b"across regions"
