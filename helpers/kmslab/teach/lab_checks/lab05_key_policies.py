"""Checks for lab 05 (key policies): a key policy that separates managing a key from using it,
limits an application to one encryption context, and shares decryption with a second account;
then the IAM policy the second account needs (sources: explicit-permission-required, account-principal, console-default-policy, lockout-safety-check, cross-account-access, condition-keys, encryption-context).

The checks apply the learner's documents with PutKeyPolicy and PutUserPolicy, then run the
cast (`kmslab.teach.cast`) against the key: every case is a real request, decided by the
sandbox's authorization, and the hint quotes its explanation (`kmslab.teach.access.explain`).
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any, Callable

from botocore.exceptions import ClientError

from .. import access, policies
from ..checks import Wrong, check, expect, require

CONTEXT = {"tenant": "blue"}
OTHER_CONTEXT = {"tenant": "green"}
HINT_POLICY = "lesson 07, '1. Every key has exactly one key policy'"
HINT_ADMINS = "lesson 07, '3. The console's default policy: key administrators and key users'"
HINT_CONTEXT = "lesson 07, '7. Conditions', kms:EncryptionContext:"
HINT_CROSS = "lesson 07, '6. Cross-account use' (the key policy AND an IAM policy, docs/sources.md#cross-account-access)"
HINT_LOCKOUT = "lesson 07, '4. Taking the delegation statement out' (the lockout safety check, docs/sources.md#lockout-safety-check)"

_users = itertools.count(1)
_clients: dict[int, tuple[Any, Any]] = {}


def _kms(owner: Any) -> Any:
    """One KMS client per cast member (or sandbox) for the whole session: making a boto3
    client costs far more than the requests a check sends."""
    if id(owner) not in _clients or _clients[id(owner)][0] is not owner:
        _clients[id(owner)] = (owner, owner.client("kms"))
    return _clients[id(owner)][1]


def lab_key(sb) -> str:
    """The key of this lab (in the sandbox's account and Region); returns its ARN."""
    return sb.client("kms").create_key(Description="lab 05: orders for tenant blue")["KeyMetadata"]["Arn"]


# -- the cases ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    member: str
    request: str                     # what the member tries, for the report
    allowed: bool                    # what the task asks for
    wrong: str                       # what to print when the key does the opposite
    send: Callable[[Any, str, bytes], Any]
    hint: str = HINT_POLICY


def _encrypt(context):
    return lambda kms, arn, blob: kms.encrypt(KeyId=arn, Plaintext=b"order 1", **(
        {"EncryptionContext": context} if context else {}))


def _decrypt(kms, arn, blob):
    return kms.decrypt(KeyId=arn, CiphertextBlob=blob, EncryptionContext=CONTEXT)


CASES = (
    Case("key_admin", "DescribeKey", True, "key administrator cannot describe the key — should be allowed",
         lambda kms, arn, blob: kms.describe_key(KeyId=arn), HINT_ADMINS),
    Case("key_admin", "GetKeyPolicy", True, "key administrator cannot read the key policy — should be allowed",
         lambda kms, arn, blob: kms.get_key_policy(KeyId=arn), HINT_ADMINS),
    Case("key_admin", "EnableKeyRotation", True, "key administrator cannot enable rotation — should be allowed",
         lambda kms, arn, blob: kms.enable_key_rotation(KeyId=arn), HINT_ADMINS),
    Case("key_admin", "Encrypt", False, "key administrator can encrypt — should be denied",
         _encrypt(CONTEXT), HINT_ADMINS),
    Case("key_admin", "Decrypt", False, "key administrator can decrypt — should be denied", _decrypt, HINT_ADMINS),
    Case("app", "Encrypt with {'tenant': 'blue'}", True,
         "app cannot encrypt with {'tenant': 'blue'} — should be allowed", _encrypt(CONTEXT), HINT_CONTEXT),
    Case("app", "GenerateDataKey with {'tenant': 'blue'}", True,
         "app cannot generate a data key with {'tenant': 'blue'} — should be allowed",
         lambda kms, arn, blob: kms.generate_data_key(KeyId=arn, KeySpec="AES_256", EncryptionContext=CONTEXT),
         HINT_CONTEXT),
    Case("app", "Encrypt without a context", False, "app can encrypt without the context — should be denied",
         _encrypt(None), HINT_CONTEXT),
    Case("app", "Encrypt with {'tenant': 'green'}", False,
         "app can encrypt with {'tenant': 'green'} — should be denied", _encrypt(OTHER_CONTEXT), HINT_CONTEXT),
    Case("app", "Decrypt", False, "app can decrypt — should be denied (it only writes)", _decrypt, HINT_CONTEXT),
    Case("outsider", "Encrypt with {'tenant': 'blue'}", False, "outsider can encrypt — should be denied",
         _encrypt(CONTEXT)),
    Case("outsider", "DescribeKey", False, "outsider can describe the key — should be denied",
         lambda kms, arn, blob: kms.describe_key(KeyId=arn)),
    Case("partner", "Decrypt (by key ARN)", True, "partner account cannot decrypt — should be allowed",
         _decrypt, HINT_CROSS),
    Case("partner", "Encrypt (by key ARN)", False, "partner account can encrypt — should be denied (it only reads)",
         _encrypt(CONTEXT), HINT_CROSS),
)

_OPERATIONS = {"DescribeKey": "DescribeKey", "GetKeyPolicy": "GetKeyPolicy",
               "EnableKeyRotation": "EnableKeyRotation", "GenerateDataKey": "GenerateDataKey",
               "Encrypt": "Encrypt", "Decrypt": "Decrypt"}


def _is_denied(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied")


def _allowed(send: Callable[[], Any]) -> bool:
    try:
        send()
    except ClientError as exc:
        if _is_denied(exc):
            return False
        raise
    return True


def _why(member, case: Case, arn: str, blob: bytes) -> str:
    """The sandbox's 'decided by' line for one case (the same code that decided the request)."""
    operation = next(op for word, op in _OPERATIONS.items() if case.request.startswith(word))
    params: dict[str, Any] = {"KeyId": arn}
    if operation == "Encrypt":
        params["Plaintext"] = b"order 1"
        if "without" not in case.request:
            params["EncryptionContext"] = OTHER_CONTEXT if "green" in case.request else CONTEXT
    elif operation == "Decrypt":
        params.update(CiphertextBlob=blob, EncryptionContext=CONTEXT)
    elif operation == "GenerateDataKey":
        params.update(KeySpec="AES_256", EncryptionContext=CONTEXT)
    text = access.explain(_kms(member), operation, **params)
    decided = [line.strip() for line in text.splitlines() if line.strip().startswith("decided by:")]
    return f"{case.member} {case.request}: {decided[0] if decided else text.splitlines()[0]}"


def _apply(kms, arn: str, doc: Any, part: str) -> None:
    """PutKeyPolicy as the account's administrator (the sandbox's default caller), no bypass."""
    expect(isinstance(doc, dict), part, f"{part} is a {type(doc).__name__}: write it as a Python dict")
    try:
        kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=json.dumps(doc))
    except ClientError as exc:
        message = exc.response["Error"]["Message"]
        if "will not allow you to update the key policy" in message:
            raise Wrong(part, "PutKeyPolicy refused it: \"" + message + "\" The lab applies your policy as the "
                        "account's administrator: keep the statement that gives the account "
                        f"({policies.account_root('<account>')}) kms:*", HINT_LOCKOUT) from None
        raise Wrong(part, f"PutKeyPolicy refused it: {exc.response['Error']['Code']}: {message}",
                    HINT_POLICY) from None


def _fresh_key_with(sb, doc: Any) -> tuple[str, bytes]:
    """A new key holding `doc`, and a ciphertext made under it with CONTEXT before the policy changed."""
    kms = _kms(sb)
    arn = kms.create_key(Description="lab 05 check")["KeyMetadata"]["Arn"]
    blob = kms.encrypt(KeyId=arn, Plaintext=b"order 1", EncryptionContext=CONTEXT)["CiphertextBlob"]
    _apply(kms, arn, doc, "key policy")
    return arn, blob


def run_cases(people, arn: str, blob: bytes, cases=CASES) -> list[tuple[Case, bool]]:
    """(case, what the key did) for every case: True means the request was allowed."""
    return [(case, _allowed(lambda c=case: c.send(_kms(people.members[c.member]), arn, blob))) for case in cases]


@check("Task 1: the key policy", hint=HINT_POLICY)
def check_key_policy(sb: Any, people: Any, key_policy: Any) -> str:
    require(key_policy, "key_policy")
    arn, blob = _fresh_key_with(sb, key_policy)
    wrong = [case for case, allowed in run_cases(people, arn, blob) if allowed != case.allowed]
    if wrong:
        first = wrong[0]
        lines = "\n".join(f"   - {case.wrong}" for case in wrong)
        raise Wrong("key policy", f"{len(wrong)} of {len(CASES)} cases wrong:\n{lines}",
                    f"{first.hint}. The sandbox on the first: {_why(people.members[first.member], first, arn, blob)}")
    return (f"all {len(CASES)} cases right: key administrators manage but cannot use the key, the app "
            "encrypts only for tenant blue, account B decrypts")


# -- task 2: the other account's side ------------------------------------------------------------
def _partner_user(sb, people, iam_policy: Any) -> Any:
    """A KMS client for a new IAM user in the second account holding `iam_policy` (the user is
    made as the cast does: through the account's OrganizationAccountAccessRole)."""
    expect(isinstance(iam_policy, dict), "partner IAM policy",
           f"partner_iam_policy is a {type(iam_policy).__name__}: write it as a Python dict")
    statements = iam_policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    # IAM refuses a Principal in an identity-based policy ("Policy document should not specify a
    # principal"); moto's IAM accepts it, so say it here. AWS: IAM User Guide, "AWS JSON policy
    # elements: Principal" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)
    expect(not any(isinstance(st, dict) and ("Principal" in st or "NotPrincipal" in st) for st in statements),
           "partner IAM policy", "an IAM policy attached to a user has no Principal (the user it is attached to "
           "is the principal); IAM refuses it: \"Policy document should not specify a principal\"", HINT_CROSS)
    creds = sb.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{people.second_account}:role/OrganizationAccountAccessRole",
        RoleSessionName="lab05")["Credentials"]
    iam_b = sb.client("iam", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                      session_token=creds["SessionToken"])
    name = f"lab05-reader-{next(_users)}"
    iam_b.create_user(UserName=name)
    try:
        iam_b.put_user_policy(UserName=name, PolicyName="read-orders", PolicyDocument=json.dumps(iam_policy))
    except ClientError as exc:
        raise Wrong("partner IAM policy", f"IAM refused it: {exc.response['Error']['Code']}: "
                    f"{exc.response['Error']['Message']}", HINT_CROSS) from None
    key = iam_b.create_access_key(UserName=name)["AccessKey"]
    return sb.client("kms", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])


def _shared_other_key(sb, people) -> tuple[str, bytes]:
    """Another key of account A whose key policy also lets account B decrypt."""
    kms = _kms(sb)
    doc = policies.document(policies.enable_iam_statement(people.account),
                            policies.statement("Allow", policies.account_root(people.second_account),
                                               "kms:Decrypt"))
    arn = kms.create_key(Description="lab 05: another key shared with account B",
                         Policy=json.dumps(doc))["KeyMetadata"]["Arn"]
    return arn, kms.encrypt(KeyId=arn, Plaintext=b"other", EncryptionContext=CONTEXT)["CiphertextBlob"]


@check("Task 2: the partner account's IAM policy", hint=HINT_CROSS)
def check_partner_access(sb: Any, people: Any, key_arn: Any, key_policy: Any, partner_iam_policy: Any) -> str:
    require(key_arn, "key_arn")
    require(partner_iam_policy, "partner_iam_policy")
    kms = _kms(sb)
    kms.put_key_policy(KeyId=key_arn, Policy=json.dumps(policies.default_key_policy(people.account)))
    blob = kms.encrypt(KeyId=key_arn, Plaintext=b"order 1", EncryptionContext=CONTEXT)["CiphertextBlob"]
    _apply(kms, key_arn, key_policy, "key policy (task 1)")
    reader_kms = _partner_user(sb, people, partner_iam_policy)
    if not _allowed(lambda: _decrypt(reader_kms, key_arn, blob)):
        text = access.explain(reader_kms, "Decrypt", KeyId=key_arn, CiphertextBlob=blob, EncryptionContext=CONTEXT)
        if "key policy in the key's account does not allow" in text:
            raise Wrong("key policy (task 1)", "a user in account B cannot decrypt: the key policy does not "
                        "let account B in (fix task 1 first)", HINT_CROSS)
        decided = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("decided by:")]
        raise Wrong("partner IAM policy", "a user in account B holding your IAM policy cannot decrypt with "
                    f"key_arn ({decided[0] if decided else 'denied'}): allow kms:Decrypt on that key's ARN",
                    HINT_CROSS)
    other_arn, other_blob = _shared_other_key(sb, people)
    expect(not _allowed(lambda: _decrypt(reader_kms, other_arn, other_blob)), "partner IAM policy",
           "your IAM policy also lets account B decrypt with another key account A shares with it: "
           "name key_arn in Resource instead of a wildcard (least privilege)", HINT_CROSS)
    return "a user in account B holding your IAM policy decrypts with key_arn, and with no other key"
