"""Lab 07 checks (misuse hunt): the solution's code, the original with its five mistakes, and
typical half-fixes, each run against the sandbox."""
from __future__ import annotations

import json

import pytest

from kmslab import sandbox
from kmslab.notebooks import ROOT
from kmslab.teach.checks import OK, TODO, WRONG
from kmslab.teach.lab_checks import lab07_misuse_hunt as lab

SOLUTION = ROOT / "labs" / "solutions" / "07_misuse_hunt_solution.ipynb"


def fixed_code() -> str:
    """The learner cell of the committed solution: the tests check the code learners are shown."""
    cells = json.loads(SOLUTION.read_text())["cells"]
    [cell] = [c for c in cells if "learner" in c["metadata"].get("tags", [])]
    return "".join(cell["source"])


def load(code: str, *edits: tuple[str, str]):
    for old, new in edits:
        assert old in code, old
        code = code.replace(old, new)
    namespace: dict = {}
    exec(compile(code, "<lab07>", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def sb():
    box = sandbox.start()
    lab.setup(box)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def right(sb):
    return load(fixed_code())


@pytest.fixture(scope="module")
def original(sb):
    return load(lab.original_source())


def run_all(sb, m):
    return [lab.check_nonce(m["seal"]), lab.check_no_key_in_logs(m["new_data_key"]),
            lab.check_context(m["new_data_key"], m["open_key"]), lab.check_region(sb, m["new_data_key"]),
            lab.check_openssl(m["export_for_partner"])]


def test_the_solution_fixes_all_five(sb, right):
    assert [fb.status for fb in run_all(sb, right)] == [OK] * 5, [fb.text for fb in run_all(sb, right)]


def test_the_original_has_all_five(sb, original):
    feedback = run_all(sb, original)
    assert [(fb.status, fb.part) for fb in feedback] == [
        (WRONG, "nonce reuse"), (WRONG, "logged key"), (WRONG, "encryption context"), (WRONG, "key Region"),
        (WRONG, "openssl -k")]
    assert "share the nonce 000000000000" in feedback[0].message
    assert "(base64)" in feedback[1].message
    assert "bound to {'app': 'orders'}" in feedback[2].message
    assert "with a key in eu-west-1" in feedback[3].message
    assert "openssl's 'Salted__' header" in feedback[4].message
    assert [fb.hint for fb in feedback] == [lab.HINT_NONCE, lab.HINT_LOG, lab.HINT_CONTEXT, lab.HINT_REGION,
                                            lab.HINT_OPENSSL]


def test_todo():
    for fb in (lab.check_nonce(...), lab.check_no_key_in_logs(...), lab.check_context(..., ...),
               lab.check_openssl(...)):
        assert fb.status == TODO and "not done yet" in fb.text


# -- 1. nonce ------------------------------------------------------------------------------------------
SEAL_LINE = "    nonce = os.urandom(12)                          # 1. a fresh nonce for every record"


@pytest.mark.parametrize("edit, part", [
    ("    nonce = (1).to_bytes(12, 'big')", "nonce reuse"),                     # a counter reset on every call
    ("    import hashlib; nonce = hashlib.sha256(record).digest()[:12]", "nonce reuse"),   # same record, same nonce
])
def test_nonce_wrong(sb, edit, part):
    m = load(fixed_code(), (SEAL_LINE, edit))
    fb = lab.check_nonce(m["seal"])
    assert fb.status == WRONG and fb.part == part, fb.text


def test_nonce_after_the_ciphertext_breaks_the_format(sb):
    m = load(fixed_code(), ("return nonce + AESGCM(data_key).encrypt(nonce, record, None)",
                            "return AESGCM(data_key).encrypt(nonce, record, None) + nonce"))
    fb = lab.check_nonce(m["seal"])
    assert fb.status == WRONG and fb.part == "seal"


# -- 2. logs -------------------------------------------------------------------------------------------
LOG_LINE = '    log.info("new data key for %s under %s", tenant, resp["KeyId"])   # 2. never the Plaintext'


@pytest.mark.parametrize("edit, form", [
    ('    log.info("key %s", resp["Plaintext"].hex())', "hex"),
    ('    print("debug:", resp["Plaintext"])', "bytes repr"),
    ('    log.debug("key %s", base64.b64encode(resp["Plaintext"]).decode())', "base64"),
])
def test_logged_key(sb, edit, form):
    m = load(fixed_code(), (LOG_LINE, edit))
    fb = lab.check_no_key_in_logs(m["new_data_key"])
    assert fb.status == WRONG and fb.part == "logged key" and f"({form})" in fb.message, fb.text


def test_logging_the_encrypted_key_is_fine(sb):
    m = load(fixed_code(), (LOG_LINE, '    log.info("key %s", base64.b64encode(resp["CiphertextBlob"]).decode())'))
    assert lab.check_no_key_in_logs(m["new_data_key"]).status == OK


# -- 3. context ----------------------------------------------------------------------------------------
CONTEXT_LINE = '    return {"tenant": tenant}                       # 3. bind every data key to its tenant'


def test_context_key_in_the_wrong_case(sb):
    m = load(fixed_code(), (CONTEXT_LINE, '    return {"Tenant": tenant}'))
    fb = lab.check_context(m["new_data_key"], m["open_key"])
    assert fb.status == WRONG and fb.part == "encryption context"
    assert "bound to {'Tenant': 'green'}" in fb.message


def test_reader_not_updated(sb):
    m = load(fixed_code(), ("CiphertextBlob=encrypted_key, EncryptionContext=context_for(tenant))",
                            'CiphertextBlob=encrypted_key, EncryptionContext={"app": "orders"})'))
    fb = lab.check_context(m["new_data_key"], m["open_key"])
    assert fb.status == WRONG and fb.part == "open_key" and "InvalidCiphertextException" in fb.message


def test_reader_ignores_its_tenant(sb):
    m = load(fixed_code(), ("CiphertextBlob=encrypted_key, EncryptionContext=context_for(tenant))",
                            'CiphertextBlob=encrypted_key, EncryptionContext=context_for("green"))'))
    fb = lab.check_context(m["new_data_key"], m["open_key"])
    assert fb.status == WRONG and fb.part == "open_key" and "for tenant blue" in fb.message


# -- 4. Region -----------------------------------------------------------------------------------------
ARN_LINE = 'ORDERS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:alias/orders"'


def test_another_key_in_the_right_region(sb):
    other = sb.client("kms").create_key(Description="not the orders key")["KeyMetadata"]["Arn"]
    m = load(fixed_code(), (ARN_LINE, f'ORDERS_KEY_ARN = "{other}"'))
    fb = lab.check_region(sb, m["new_data_key"])
    assert fb.status == WRONG and fb.part == "key" and other in fb.message


def test_key_arn_of_the_staging_copy(sb):
    staging = sb.client("kms", region="eu-west-1").describe_key(KeyId="alias/orders")["KeyMetadata"]["Arn"]
    m = load(fixed_code(), (ARN_LINE, f'ORDERS_KEY_ARN = "{staging}"'))
    fb = lab.check_region(sb, m["new_data_key"])
    assert fb.status == WRONG and fb.part == "key Region" and "in eu-west-1" in fb.message


# -- 5. openssl ----------------------------------------------------------------------------------------
def test_key_without_the_iv_in_front(sb):
    m = load(fixed_code(), ("f.write(iv + result.stdout)", "f.write(result.stdout)"))
    fb = lab.check_openssl(m["export_for_partner"])
    assert fb.status == WRONG and fb.part == "file format"


def test_the_same_iv_every_time(sb):
    m = load(fixed_code(), ("    iv = os.urandom(16)", "    iv = bytes(16)"))
    fb = lab.check_openssl(m["export_for_partner"])
    assert fb.status == WRONG and fb.part == "IV"


def test_password_from_a_file_is_still_a_password(sb, tmp_path):
    key_file = tmp_path / "key.bin"
    m = load(fixed_code(), ('"-K", data_key.hex(), "-iv", iv.hex(),',
                            f'"-pbkdf2", "-pass", "file:{key_file}",'),
             ("    iv = os.urandom(16)", f"    iv = os.urandom(16); open('{key_file}', 'wb').write(data_key.hex().encode())"))
    fb = lab.check_openssl(m["export_for_partner"])
    assert fb.status == WRONG and fb.part == "openssl -k"


def test_python_instead_of_openssl(sb):
    python_export = '''
def export_for_partner(data_key, in_path, out_path):
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(open(in_path, "rb").read()) + padder.finalize()
    enc = Cipher(algorithms.AES(data_key), modes.CBC(iv)).encryptor()
    open(out_path, "wb").write(iv + enc.update(data) + enc.finalize())
'''
    m = load(fixed_code() + python_export)
    assert lab.check_openssl(m["export_for_partner"]).status == OK


# -- more half-fixes, found by working through the starter ---------------------------------------------
def test_alias_name_instead_of_an_arn_names_new_data_key(sb):
    """kms_for reads the Region from the ARN: a bare alias name breaks it (IndexError), said in one line."""
    m = load(fixed_code(), (ARN_LINE, 'ORDERS_KEY_ARN = "alias/orders"'))
    for fb in (lab.check_context(m["new_data_key"], m["open_key"]), lab.check_region(sb, m["new_data_key"]),
               lab.check_no_key_in_logs(m["new_data_key"])):
        assert fb.status == WRONG and fb.part == "new_data_key" and "IndexError" in fb.message, fb.text
        assert "full ARN" in fb.message and "Traceback" not in fb.text


def test_client_moved_but_not_the_key(sb):
    """The client now runs in us-east-1 but the ARN still names eu-west-1: KMS refuses the ARN."""
    m = load(lab.original_source(), ('return kms_client(arn.split(":")[3])', 'return kms_client("us-east-1")'))
    fb = lab.check_region(sb, m["new_data_key"])
    assert fb.status == WRONG and fb.part == "key Region" and "Invalid arn eu-west-1" in fb.message, fb.text


def test_logging_the_whole_response(sb):
    m = load(fixed_code(), (LOG_LINE, '    log.info("GenerateDataKey said %s", resp)'))
    fb = lab.check_no_key_in_logs(m["new_data_key"])
    assert fb.status == WRONG and fb.part == "logged key" and "(bytes repr)" in fb.message, fb.text


def test_nonce_drawn_once_for_all_records(sb):
    m = load(fixed_code(), ("    nonce = os.urandom(12)                          # 1. a fresh nonce for every record",
                            "    nonce = ONE_NONCE"), ("ORDERS_KEY_ARN =", "ONE_NONCE = os.urandom(12)\nORDERS_KEY_ARN ="))
    fb = lab.check_nonce(m["seal"])
    assert fb.status == WRONG and fb.part == "nonce reuse", fb.text


KEY_ARGS = '"-K", data_key.hex(), "-iv", iv.hex(),'


@pytest.mark.parametrize("args, part, words", [
    ('"-K", data_key.hex(),', "export_for_partner", "iv undefined"),
    ('"-K", base64.b64encode(data_key).decode(), "-iv", iv.hex(),', "export_for_partner", "openssl exited"),
    ('"-K", data_key, "-iv", iv.hex(),', "export_for_partner", "ValueError"),
    ('"-pbkdf2", "-k", data_key.hex(),', "openssl -k", "derived its key from a password"),
], ids=["no -iv", "key in base64", "raw key bytes", "-k with the hex key"])
def test_openssl_half_fixes(sb, args, part, words):
    m = load(fixed_code(), (KEY_ARGS, args))
    fb = lab.check_openssl(m["export_for_partner"])
    assert fb.status == WRONG and fb.part == part and words in fb.message, fb.text
    assert "Traceback" not in fb.text
