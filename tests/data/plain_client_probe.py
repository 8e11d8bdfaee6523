"""Run by tests/test_plain_client.py in a fresh interpreter that imports boto3 only.

It talks to `python -m kmslab serve` over HTTP and prints one JSON object: what it saw.
"""
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

url = sys.argv[1]
seen = {}


def client(service, **creds):
    creds = creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        config=Config(retries={"total_max_attempts": 1}), **creds)


def code_of(fn):
    try:
        fn()
        return "ok"
    except ClientError as exc:
        return exc.response["Error"]["Code"]


kms, s3, iam = client("kms"), client("s3"), client("iam")

# issue 3: key state, real RSA, rotation, services that really call KMS
key = kms.create_key()["KeyMetadata"]["KeyId"]
kms.disable_key(KeyId=kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"])  # an ARN works
seen["disabled_encrypt"] = code_of(lambda: kms.encrypt(KeyId=key, Plaintext=b"x"))
kms.enable_key(KeyId=key)
rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
seen["rsa_ciphertext_len"] = len(kms.encrypt(KeyId=rsa, Plaintext=b"x",
                                             EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"])
old = kms.encrypt(KeyId=key, Plaintext=b"before")["CiphertextBlob"]
kms.rotate_key_on_demand(KeyId=key)
seen["old_decrypts_after_rotation"] = kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
s3.create_bucket(Bucket="plain")
s3.put_object(Bucket="plain", Key="o", Body=b"secret", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
kms.disable_key(KeyId=key)
seen["sse_kms_get_with_disabled_key"] = code_of(lambda: s3.get_object(Bucket="plain", Key="o"))
kms.enable_key(KeyId=key)

# issue 4: a user created through IAM is judged by policies
iam.create_user(UserName="bob")
keys = iam.create_access_key(UserName="bob")["AccessKey"]
bob = client("kms", aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"])
try:
    bob.encrypt(KeyId=key, Plaintext=b"x")
    seen["bob"] = "allowed"
except ClientError as exc:
    seen["bob"] = exc.response["Error"]["Code"]
    seen["bob_message_names_bob"] = "user/bob is not authorized to perform: kms:Encrypt" in exc.response["Error"]["Message"]

seen["modules"] = sorted(m for m in ("kmslab", "moto") if m in sys.modules)
print(json.dumps(seen))
