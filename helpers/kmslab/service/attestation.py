"""Recipient: answers for a Nitro enclave or NitroTPM, which the sandbox cannot verify.

AWS (Cryptographic attestation support in KMS,
https://docs.aws.amazon.com/kms/latest/developerguide/cryptographic-attestation.html; botocore
KMS model, the Recipient parameter of Decrypt, DeriveSharedSecret, GenerateDataKey,
GenerateDataKeyPair and GenerateRandom): with a signed attestation document KMS returns
the secret encrypted to the enclave's public key in CiphertextForRecipient, and no plaintext.

The sandbox has no enclave and cannot check an attestation document's AWS signature
chain. Ignoring the parameter would hand back plaintext where AWS never would, so a
request with Recipient is refused instead; the ledger page lists this.
"""
from __future__ import annotations

from . import dispatch
from .errors import KmsError

OPERATIONS = frozenset({"Decrypt", "DeriveSharedSecret", "GenerateDataKey", "GenerateDataKeyPair",
                        "GenerateRandom"})


@dispatch.before(dispatch.VALIDATE, "attestation-recipient")
def refuse_recipient(call: dispatch.KmsCall) -> None:
    if call.operation in OPERATIONS and call.params.get("Recipient"):
        raise KmsError("UnsupportedOperationException",
                       "The sandbox cannot verify Nitro attestation documents; call without Recipient.")
