"""Checks for lab 07 (misuse hunt): five mistakes in `misuse_original.py`, each checked by
running the learner's fixed functions against the sandbox (sources: data-key-workflow, keys-are-regional, encryption-context; the nonce
and openssl rules are taught in lessons 03 and 04).

1. nonce reuse: `seal` with a fixed nonce under one data key;
2. a plaintext data key logged by `new_data_key`;
3. a wrong encryption context: the data key is not bound to its tenant;
4. a key ARN from the wrong Region: the data keys are made in eu-west-1, the readers are in us-east-1;
5. `openssl enc -k fileb://...`: the text becomes a password; the data key is never used.
"""
from __future__ import annotations

import base64
import contextlib
import io
import logging
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterator

from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..checks import Wrong, check, expect

HINT_NONCE = "lesson 03, '3. What SYMMETRIC_DEFAULT is: AES-256-GCM', 'A nonce must never repeat'"
HINT_LOG = "lesson 04, '6. Mistakes', 'Logging the plaintext key'"
HINT_CONTEXT = "lesson 03, '2. Encryption context: additional authenticated data'"
HINT_REGION = "lesson 02, '3. Keys are Regional'"
HINT_OPENSSL = "lesson 04, '6. Mistakes', 'The openssl enc -k fileb://… trap'"

ALIAS = "alias/orders"
OTHER_REGION = "eu-west-1"
TEST_KEY = bytes(range(32))          # a stand-in data key for the checks that need none from KMS
_LIBRARY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "moto", "kmslab", "aws_encryption_sdk")


def setup(sb) -> dict[str, str]:
    """The orders key behind alias/orders in the sandbox's Region, and a look-alike behind the same
    alias in eu-west-1 (a staging copy). Returns {Region: key ARN}."""
    arns = {}
    for region in (sb.region, OTHER_REGION):
        kms = sb.client("kms", region=region)
        arn = kms.create_key(Description=f"orders ({region})")["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=ALIAS, TargetKeyId=arn)
        arns[region] = arn
    return arns


def original_source() -> str:
    """The code under review."""
    return (Path(__file__).with_name("misuse_original.py")).read_text()


def _last_data_key_event() -> dict[str, Any]:
    from ...service import audit  # the sandbox's trail across Regions (CloudTrail is per Region)

    events = audit.events("GenerateDataKey")
    expect(events, "new_data_key", "new_data_key made no GenerateDataKey request")
    return events[-1]


def _failure(exc: Exception) -> str:
    """One line for an exception from the learner's code: an AWS error code and message, or the exception."""
    if isinstance(exc, ClientError):
        return f"{exc.response['Error']['Code']}: {exc.response['Error']['Message']}"
    if isinstance(exc, subprocess.CalledProcessError):
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        first = next((line.strip() for line in err.splitlines() if line.strip()), "")
        return f"openssl exited with status {exc.returncode}" + (f" ({first})" if first else "")
    return f"{type(exc).__name__}: {exc}"


def _data_key(new_data_key: Any, tenant: str) -> tuple[bytes, bytes]:
    try:
        got = new_data_key(tenant)
    except ClientError as exc:
        if "Invalid arn" in exc.response["Error"]["Message"]:
            raise Wrong("key Region", f"new_data_key({tenant!r}) failed: {_failure(exc)}. A KMS client in one "
                        "Region cannot use a key ARN from another: keys are Regional; use the orders key in the "
                        "app's Region", HINT_REGION) from None
        raise Wrong("new_data_key", f"new_data_key({tenant!r}) failed: {_failure(exc)}") from None
    except Exception as exc:  # the learner's code: name the function, never a traceback
        extra = (" (kms_for reads the Region from the 4th field of an ARN: is ORDERS_KEY_ARN still a full ARN?)"
                 if isinstance(exc, IndexError) else "")
        raise Wrong("new_data_key", f"new_data_key({tenant!r}) raised {_failure(exc)}{extra}") from None
    expect(isinstance(got, tuple) and len(got) == 2 and all(isinstance(v, bytes) for v in got), "new_data_key",
           "new_data_key must still return (plaintext key, encrypted key), two bytes objects")
    return got


# -- 1. nonce reuse -----------------------------------------------------------------------------------
@check("Mistake 1: nonce reuse", hint=HINT_NONCE)
def check_nonce(seal: Any) -> str:
    first, second, other = seal(TEST_KEY, b"order 1"), seal(TEST_KEY, b"order 1"), seal(TEST_KEY, b"order 2")
    for blob, record in ((first, b"order 1"), (other, b"order 2")):
        try:
            opened = AESGCM(TEST_KEY).decrypt(blob[:12], blob[12:], None)
        except Exception:
            opened = None
        expect(opened == record, "seal", "the sealed record no longer opens as nonce (12 bytes) + ciphertext + "
               "tag under the data key: keep that format")
    nonces = {first[:12], second[:12], other[:12]}
    expect(len(nonces) == 3, "nonce reuse",
           f"records sealed under the same data key share the nonce {first[:12].hex()[:12]}…: with AES-GCM that "
           "reveals the XOR of the plaintexts and lets an attacker forge tags; draw a fresh random 12-byte "
           "nonce for every record (os.urandom(12))")
    return "a fresh nonce for every record"


# -- 2. the plaintext key in the logs -------------------------------------------------------------------
class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(_LIBRARY_LOGGERS):
            self.lines.append(record.getMessage())


@contextlib.contextmanager
def _everything_logged() -> Iterator[list[str]]:
    """What the app's loggers (at DEBUG, as a verbose production setting would) and print() write."""
    root = logging.getLogger()
    handler, level, out = _Capture(), root.level, io.StringIO()
    lines: list[str] = []
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        lines.extend(handler.lines + out.getvalue().splitlines())


def _forms(key: bytes) -> dict[str, str]:
    return {"base64": base64.b64encode(key).decode(), "hex": key.hex(), "hex (upper case)": key.hex().upper(),
            "urlsafe base64": base64.urlsafe_b64encode(key).decode(), "bytes repr": repr(key)[2:-1],
            "list of ints": str(list(key))[1:-1]}


@check("Mistake 2: the plaintext data key in the logs", hint=HINT_LOG)
def check_no_key_in_logs(new_data_key: Any) -> str:
    with _everything_logged() as lines:
        plaintext, _ = _data_key(new_data_key, "green")
    text = "\n".join(lines)
    leaked = [name for name, form in _forms(plaintext).items() if form in text]
    expect(not leaked, "logged key", f"new_data_key wrote the plaintext data key to the logs ({leaked[0] if leaked else ''}): "
           "anyone who reads the logs can decrypt the data; log the tenant or the key ARN, never Plaintext")
    return "the plaintext data key stays out of the logs"


# -- 3. the encryption context -------------------------------------------------------------------------
@check("Mistake 3: the encryption context", hint=HINT_CONTEXT)
def check_context(new_data_key: Any, open_key: Any) -> str:
    plaintext, encrypted = _data_key(new_data_key, "green")
    sent = (_last_data_key_event().get("requestParameters") or {}).get("encryptionContext") or {}
    expect(sent.get("tenant") == "green", "encryption context",
           f"the data key for tenant green was bound to {sent or 'no context'}: bind it to its tenant, "
           "{'tenant': 'green'} (the audit trail shows the context in clear, so never put secrets in it)")
    try:
        opened = open_key(encrypted, "green")
    except ClientError as exc:
        raise Wrong("open_key", f"open_key could not open tenant green's data key ({exc.response['Error']['Code']}): "
                    "Decrypt needs exactly the context the key was made with") from None
    expect(opened == plaintext, "open_key", "open_key returned something other than the data key")
    try:
        open_key(encrypted, "blue")
    except ClientError:
        pass
    else:
        raise Wrong("open_key", "open_key opened tenant green's data key for tenant blue: build the context "
                    "from the tenant it is given")
    return "each data key is bound to its tenant: green's key opens for green and not for blue"


# -- 4. the Region -------------------------------------------------------------------------------------
@check("Mistake 4: the key's Region", hint=HINT_REGION)
def check_region(sb: Any, new_data_key: Any) -> str:
    _data_key(new_data_key, "green")
    event = _last_data_key_event()
    used = next((r["ARN"] for r in event.get("resources") or []), "") or ""
    region = event.get("awsRegion")
    expect(region == sb.region and used.split(":")[3:4] == [sb.region], "key Region",
           f"new_data_key made its data key with a key in {used.split(':')[3] if used else region}: KMS keys are "
           f"Regional, so readers in {sb.region} cannot decrypt the encrypted data key; use "
           f"the orders key in {sb.region} (arn:aws:kms:{sb.region}:{sb.account_id}:{ALIAS})")
    orders = sb.client("kms").describe_key(KeyId=ALIAS)["KeyMetadata"]["Arn"]
    expect(used == orders, "key", f"new_data_key used {used}, not the orders key ({ALIAS} in {sb.region})")
    return f"the data keys come from the orders key in {sb.region}"


# -- 5. openssl -k -------------------------------------------------------------------------------------
def _partner_job(data_key: bytes, blob: bytes) -> bytes | None:
    """What the partner's job does: the first 16 bytes are the IV, the rest AES-256-CBC under the data key
    (openssl enc -d -aes-256-cbc -K <key hex> -iv <iv hex>); None if that fails."""
    if len(blob) < 32 or len(blob) % 16:
        return None
    try:
        decryptor = Cipher(algorithms.AES(data_key), modes.CBC(blob[:16])).decryptor()
        padded = decryptor.update(blob[16:]) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        return None


@check("Mistake 5: the openssl -k fileb:// trap", hint=HINT_OPENSSL)
def check_openssl(export_for_partner: Any) -> str:
    content = b"order 1,blue,42.00\norder 2,blue,17.50\n"
    with tempfile.TemporaryDirectory(prefix="lab07-") as folder:
        source = Path(folder, "orders.csv")
        source.write_bytes(content)
        outputs = []
        for name in ("export-1.bin", "export-2.bin"):
            try:
                export_for_partner(TEST_KEY, str(source), str(Path(folder, name)))
                outputs.append(Path(folder, name).read_bytes())
            except Exception as exc:  # the learner's code (or openssl): say what failed, no traceback
                raise Wrong("export_for_partner", f"it failed: {_failure(exc)}. openssl enc takes the key and IV "
                            "as hex text: -K data_key.hex() -iv iv.hex()") from None
    first = outputs[0]
    expect(b"Salted__" not in first[:24], "openssl -k",   # with or without an IV written in front
           "the file holds openssl's 'Salted__' header: openssl derived its key from a password (-k or -pass), "
           "whatever text it was given, so the partner, who uses the data key itself, cannot decrypt. In the "
           "original, the text 'fileb://data_key.bin' itself was the password (fileb:// means something only to "
           "the AWS CLI), so anyone who reads the code could decrypt. Pass the key with -K <key hex> and an IV "
           "with -iv <iv hex>, or encrypt in Python")
    expect(_partner_job(TEST_KEY, first) == content, "file format",
           "the partner's job cannot decrypt it: it expects the 16-byte IV, then AES-256-CBC under the data key "
           "(openssl enc -aes-256-cbc -K <key hex> -iv <iv hex>), and the IV written in front of the ciphertext")
    expect(first[:16] != outputs[1][:16], "IV", "two exports used the same IV: draw a random 16-byte IV "
           "for every file (os.urandom(16))")
    return "the partner decrypts the export with the data key and the IV in front of it"
