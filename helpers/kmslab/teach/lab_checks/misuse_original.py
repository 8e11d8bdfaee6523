# orders_export: seals order records per tenant, and exports a file for a partner's nightly job.
# The code under review in lab 07. It runs, and it has five mistakes.
import base64
import functools
import logging
import subprocess

import boto3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger("orders_export")   # production logs at INFO level

# The orders key. The app, its data and everyone who reads the data are in us-east-1.
ORDERS_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:alias/orders"
NONCE = bytes(12)


@functools.cache
def kms_client(region):
    return boto3.client("kms", region_name=region)


def kms_for(arn):
    """A KMS client in the Region the ARN names."""
    return kms_client(arn.split(":")[3])


def new_data_key(tenant):
    """A new 256-bit data key, bound to the tenant: (plaintext key, encrypted key)."""
    resp = kms_for(ORDERS_KEY_ARN).generate_data_key(
        KeyId=ORDERS_KEY_ARN, KeySpec="AES_256", EncryptionContext={"app": "orders"})
    log.info("new data key for %s: %s", tenant, base64.b64encode(resp["Plaintext"]).decode())
    return resp["Plaintext"], resp["CiphertextBlob"]


def open_key(encrypted_key, tenant):
    """The plaintext data key back from its encrypted copy, for this tenant only."""
    return kms_for(ORDERS_KEY_ARN).decrypt(
        CiphertextBlob=encrypted_key, EncryptionContext={"app": "orders"})["Plaintext"]


def seal(data_key, record):
    """One record with AES-256-GCM: nonce (12 bytes) + ciphertext + tag."""
    return NONCE + AESGCM(data_key).encrypt(NONCE, record, None)


def export_for_partner(data_key, in_path, out_path):
    """Encrypt a file for the partner's job, which reads the first 16 bytes as the IV and runs
    openssl enc -d -aes-256-cbc -K <data key, hex> -iv <IV, hex> on the rest."""
    # The key file was saved like the runbook says:
    #   aws kms generate-data-key ... --query Plaintext --output text | base64 --decode > data_key.bin
    subprocess.run(["openssl", "enc", "-aes-256-cbc", "-pbkdf2", "-k", "fileb://data_key.bin",
                    "-in", in_path, "-out", out_path], check=True, capture_output=True)
