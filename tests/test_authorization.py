"""Who may use a key: key policies, IAM policies and grants (issue 4), through real boto3 clients.

The table of cases is tests/data/authz_vectors.json; add a case there, not here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from kmslab.teach import access, cast, policies

VECTORS = json.loads((Path(__file__).parent / "data" / "authz_vectors.json").read_text())["vectors"]
ROOT = "root"


def _fill(value, sb, people):
    """Replace {A}, {B}, {REGION} and {member} placeholders."""
    if isinstance(value, str):
        names = {"A": people.account, "B": people.second_account, "REGION": sb.region,
                 **{n: m.principal for n, m in people.members.items()}}
        for name, text in names.items():
            value = value.replace("{" + name + "}", text)
        return value
    if isinstance(value, list):
        return [_fill(v, sb, people) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, sb, people) for k, v in value.items()}
    return value


def _policy(spec, sb, people):
    if spec == "default":
        return None
    if spec == "console":
        return policies.console_default(people.account, key_admins=[people.key_admin.principal],
                                        key_users=[people.key_user.principal, people.app.principal])
    if isinstance(spec, str) and spec.startswith("service:"):
        return policies.service_only(people.account, spec.split(":")[1], sb.region)
    return _fill(spec, sb, people)


def caller_arn(sb, people, name):
    return f"arn:aws:iam::{sb.account_id}:root" if name == ROOT else people.members[name].arn


def _caller_client(sb, people, v, service):
    """The vector's caller: a cast member, perhaps signing with a wrong secret or no session token."""
    if v["caller"] == ROOT:
        return sb.client(service)
    member = people.members[v["caller"]]
    if "secret" not in v and "session_token" not in v:
        return member.client(service)
    creds = member.credentials
    return sb.client(service, access_key=creds["AccessKeyId"], secret_key=v.get("secret", creds["SecretAccessKey"]),
                     session_token=v.get("session_token", creds.get("SessionToken")))


def _call(client, op, params):
    method = "".join("_" + c.lower() if c.isupper() else c for c in op).lstrip("_")
    return getattr(client, method)(**params)


def _attach(people, member_name, statements):
    """Give a cast member an inline IAM policy for one vector; returns how to take it away."""
    member = people.members[member_name]
    people.put_policy(member, "vector", statements)
    iam = member._sandbox.client("iam")
    if member.principal.split(":")[5].startswith("role/"):
        return lambda: iam.delete_role_policy(RoleName=member.principal.rsplit("/", 1)[1], PolicyName="vector")
    return lambda: iam.delete_user_policy(UserName=member.arn.rsplit("/", 1)[1], PolicyName="vector")


def _peer_public_key(kms, arn) -> bytes:
    """A public key on the KMS key's curve, made outside KMS (DeriveSharedSecret's peer)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    curve = serialization.load_der_public_key(kms.get_public_key(KeyId=arn)["PublicKey"]).curve
    return ec.generate_private_key(curve).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _wrapped_material(kms, arn) -> dict:
    """ImportKeyMaterial's parameters for 32 random bytes, wrapped as AWS's import page shows."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    made = kms.get_parameters_for_import(KeyId=arn, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                         WrappingKeySpec="RSA_2048")
    public = serialization.load_der_public_key(made["PublicKey"])
    wrapped = public.encrypt(b"\x07" * 32, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    return {"ImportToken": made["ImportToken"], "EncryptedKeyMaterial": wrapped,
            "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}


def _operation_params(root, v, op, ref, arn, blob, ctx, token, grant_id, people) -> dict:
    """What the vector's operation sends besides its own `params` (a working request by default);
    `ref` names the key as the vector asks (ARN, alias or alias ARN)."""
    params = {"KeyId": ref}
    if op in ("CreateKey", "ListKeys"):
        params = {}
    elif op == "Encrypt":
        params.update(Plaintext=b"data", EncryptionContext=ctx)
    elif op == "Decrypt":
        params.update(CiphertextBlob=blob, EncryptionContext=ctx)
    elif op == "ReEncrypt":
        params = {"CiphertextBlob": blob, "SourceEncryptionContext": ctx, "DestinationKeyId": params["KeyId"]}
    elif op == "GenerateDataKey":
        params.update(KeySpec="AES_256", EncryptionContext=ctx)
    elif op in ("GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"):
        params.update(KeyPairSpec="RSA_2048")
    elif op == "ScheduleKeyDeletion":
        params.update(PendingWindowInDays=7)
    elif op == "CreateGrant":
        params.update(GranteePrincipal=people.outsider.principal, Operations=["Decrypt"])
    elif op == "RetireGrant":
        params = {"GrantToken": token} if v.get("by_token") else {"KeyId": arn, "GrantId": grant_id}
    elif op in ("GenerateMac", "VerifyMac"):
        params.update(Message=b"m", MacAlgorithm="HMAC_SHA_256")
        if op == "VerifyMac":
            params["Mac"] = root.generate_mac(KeyId=arn, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    elif op in ("Sign", "Verify"):
        params.update(Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
        if op == "Verify":
            params["Signature"] = root.sign(KeyId=arn, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    elif op == "DeriveSharedSecret":
        params.update(KeyAgreementAlgorithm="ECDH", PublicKey=_peer_public_key(root, arn))
    elif op == "GetParametersForImport":
        params.update(WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    elif op == "ImportKeyMaterial":
        params.update(_wrapped_material(root, arn))
    elif op == "ReplicateKey":
        params.update(ReplicaRegion="eu-west-1")
    elif op == "UpdatePrimaryRegion":
        params.update(PrimaryRegion=v["replica"]["region"])
    return params


def _valid_to(sb, days: int) -> float:
    return sb.clock.now().timestamp() + days * 86400


def run_vector(sb, people, v, bucket_counter=[0]):
    """Set up the vector's key and send its request as its caller. Returns (key_arn, error or None)."""
    service = v.get("service", "kms")
    undo = []
    try:
        if v.get("iam"):
            undo.append(_attach(people, v["caller"], _fill(v["iam"], sb, people)))
        if service != "kms":   # IAM, STS, CloudTrail: no key
            try:
                _call(_caller_client(sb, people, v, service), v["operation"], _fill(v.get("params") or {}, sb, people))
                return None, None
            except ClientError as exc:
                return None, exc
        return _run_kms_vector(sb, people, v, bucket_counter, undo)
    finally:
        for fn in reversed(undo):
            fn()


def _run_kms_vector(sb, people, v, bucket_counter, undo):
    root = sb.client("kms")
    key_params = v.get("key") or {}
    arn = root.create_key(Description=v["name"][:256], **key_params)["KeyMetadata"]["Arn"]
    ctx = v.get("context") or {}
    symmetric = key_params.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT" and \
        key_params.get("KeyUsage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT" and key_params.get("Origin") != "EXTERNAL"
    blob = root.encrypt(KeyId=arn, Plaintext=b"secret", EncryptionContext=ctx)["CiphertextBlob"] if symmetric else None
    if v.get("alias"):
        root.create_alias(AliasName=v["alias"], TargetKeyId=arn)
        undo.append(lambda: root.delete_alias(AliasName=v["alias"]))
    ref = {"alias": v.get("alias"), "alias_arn": arn.split(":key/")[0] + ":" + (v.get("alias") or ""),
           "arn": arn}[v.get("key_ref", "arn")]
    if v.get("replica"):
        region = v["replica"]["region"]
        replica_arn = root.replicate_key(KeyId=arn, ReplicaRegion=region)["ReplicaKeyMetadata"]["Arn"]
        sb.clock.advance(5)   # the replica leaves Creating
        if v["replica"].get("policy"):
            sb.client("kms", region=region).put_key_policy(
                KeyId=replica_arn, Policy=json.dumps(_policy(v["replica"]["policy"], sb, people)),
                BypassPolicyLockoutSafetyCheck=True)
    token = grant_id = None
    if "grant" in v:
        g = v["grant"]
        kwargs = {"Constraints": g["constraints"]} if g.get("constraints") else {}
        if g.get("retiring"):
            kwargs["RetiringPrincipal"] = people.members[g["retiring"]].principal
        made = root.create_grant(KeyId=arn, GranteePrincipal=people.members[g["grantee"]].principal,
                                 Operations=g["operations"], **kwargs)
        token, grant_id = made["GrantToken"], made["GrantId"]
    doc = _policy(v["policy"], sb, people)
    if doc is not None:
        root.put_key_policy(KeyId=arn, Policy=json.dumps(doc), BypassPolicyLockoutSafetyCheck=True)
    if v.get("advance"):
        sb.clock.advance(v["advance"])
    member = None if v["caller"] == ROOT else people.members[v["caller"]]
    try:
        if v.get("via") == "s3":
            bucket_counter[0] += 1
            bucket = f"authz-vector-{bucket_counter[0]}"
            sb.client("s3").create_bucket(Bucket=bucket)
            s3 = member.client("s3") if member else sb.client("s3")
            s3.put_object(Bucket=bucket, Key="k", Body=b"data", ServerSideEncryption="aws:kms",
                          SSEKMSKeyId=arn)
            return arn, None
        kms = _caller_client(sb, people, v, "kms")
        op = v["operation"]
        params = _operation_params(root, v, op, ref, arn, blob, ctx, token, grant_id, people)
        if v.get("destination") == "another key":   # ReEncrypt onto a second key with the same policy
            same_policy = {"Policy": json.dumps(doc), "BypassPolicyLockoutSafetyCheck": True} if doc else {}
            params["DestinationKeyId"] = root.create_key(Description=v["name"][:256], **same_policy)["KeyMetadata"]["Arn"]
        extra = _fill(v.get("params") or {}, sb, people)
        if extra.get("ValidTo") == "{IN_30_DAYS}":
            extra["ValidTo"] = _valid_to(sb, 30)
        params.update(extra)
        params = {name: value for name, value in params.items() if value is not None}   # null: leave it out
        if token and v.get("tokens"):
            params["GrantTokens"] = [token]
        _call(kms, op, params)
        return arn, None
    except ClientError as exc:
        return arn, exc


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector(world, v):
    sb, people = world
    arn, error = run_vector(sb, people, v)
    if v["expect"] == "allow":
        assert error is None, f"expected allow, got {error}"
        return
    assert error is not None, "expected a refusal, the call succeeded"
    code, message = error.response["Error"]["Code"], error.response["Error"]["Message"]
    if v.get("error"):   # refused before authorization: who signed (SigV4), or a bad request
        assert code == v["error"], error
        return
    assert code in ("AccessDeniedException", "AccessDenied"), error
    service = v.get("service", "kms")
    if v.get("via") is None:
        if v.get("denied_on") == "replica":
            arn = arn.replace(f":{sb.region}:", f":{v['replica']['region']}:")
        resource = f" on resource: {'*' if v.get('denied_on') == '*' else arn}" if service == "kms" else ""
        assert message.startswith(f"User: {caller_arn(sb, people, v['caller'])} is not authorized to "
                                  f"perform: {service}:{v.get('action', v['operation'])}{resource}"), message
    if v.get("reason"):
        assert message.endswith(v["reason"]), message


# -- identity ----------------------------------------------------------------------------
def test_callers_are_identified_from_their_credentials(world):
    sb, people = world
    from kmslab.service import audit

    arn = sb.client("kms").create_key()["KeyMetadata"]["Arn"]
    for name in ("admin", "app", "outsider"):
        try:
            people.members[name].client("kms").describe_key(KeyId=arn)
        except ClientError:
            pass
        event = audit.events("DescribeKey", key_arn=arn)[-1]
        assert event["userIdentity"]["arn"] == people.members[name].arn
    assert people.app.arn == f"arn:aws:sts::{sb.account_id}:assumed-role/app-role/app"
    denied = audit.events("DescribeKey", key_arn=arn, error_code="AccessDeniedException")
    assert [e["userIdentity"]["arn"] for e in denied] == [people.app.arn, people.outsider.arn]


def test_unknown_credentials_act_as_the_default_account_root(world):
    sb, _ = world
    arn = sb.client("kms").create_key()["KeyMetadata"]["Arn"]
    sb.client("kms").put_key_policy(KeyId=arn, BypassPolicyLockoutSafetyCheck=True, Policy=json.dumps(
        policies.document(policies.statement("Allow", f"arn:aws:iam::{sb.account_id}:user/key-user", "kms:*"))))
    with pytest.raises(ClientError) as err:
        sb.client("kms").describe_key(KeyId=arn)
    assert err.value.response["Error"]["Message"].startswith(
        f"User: arn:aws:iam::{sb.account_id}:root is not authorized to perform: kms:DescribeKey")


def test_create_key_needs_an_iam_permission(world):
    sb, people = world
    with pytest.raises(ClientError) as err:
        people.outsider.client("kms").create_key()
    assert err.value.response["Error"]["Message"] == (
        f"User: {people.outsider.arn} is not authorized to perform: kms:CreateKey on resource: * "
        "because no identity-based policy allows the kms:CreateKey action")
    assert people.admin.client("kms").create_key()["KeyMetadata"]["KeyState"] == "Enabled"


# -- PutKeyPolicy / GetKeyPolicy / CreateKey ---------------------------------------------------
def test_default_key_policy_is_awss(world):
    sb, _ = world
    kms = sb.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    assert json.loads(kms.get_key_policy(KeyId=key_id)["Policy"]) == policies.default_key_policy(sb.account_id)
    assert kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"]


@pytest.mark.parametrize("policy, code", [
    ("{not json", "MalformedPolicyDocumentException"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}),
     "MalformedPolicyDocumentException"),   # no Principal
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "kms:*",
                                                        "Resource": "*"}]}), "MalformedPolicyDocumentException"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "AWS": "arn:aws:iam::123456789012:user/nobody"}, "Action": "kms:*", "Resource": "*"}]}),
     "MalformedPolicyDocumentException"),   # the principal does not exist
])
def test_put_key_policy_rejects_malformed_documents(world, policy, code):
    sb, _ = world
    kms = sb.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as err:
        kms.put_key_policy(KeyId=key_id, Policy=policy)
    assert err.value.response["Error"]["Code"] == code
    with pytest.raises(ClientError) as err:
        kms.create_key(Policy=policy)
    assert err.value.response["Error"]["Code"] == code


def test_policy_over_32_kb_is_refused(world):
    sb, _ = world
    kms = sb.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    doc = policies.default_key_policy(sb.account_id)
    doc["Statement"][0]["Sid"] = "x" * 33000
    with pytest.raises(ClientError) as err:
        kms.put_key_policy(KeyId=key_id, Policy=json.dumps(doc))
    assert err.value.response["Error"]["Code"] == "LimitExceededException"


def test_lockout_safety_check(world):
    sb, people = world
    kms = sb.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    locked = json.dumps(policies.document(policies.statement("Allow", people.key_user.principal, "kms:Encrypt")))
    with pytest.raises(ClientError) as err:
        kms.put_key_policy(KeyId=key_id, Policy=locked)
    assert err.value.response["Error"] == {
        "Code": "MalformedPolicyDocumentException",
        "Message": "The new key policy will not allow you to update the key policy in the future."}
    with pytest.raises(ClientError):
        kms.create_key(Policy=locked)
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.get_key_policy(KeyId=other)["Policy"]  # PolicyName defaults to "default"
    kms.put_key_policy(KeyId=key_id, Policy=locked, BypassPolicyLockoutSafetyCheck=True)
    with pytest.raises(ClientError) as err:  # the account is now locked out, as the check warned
        kms.get_key_policy(KeyId=key_id)
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"


def test_key_admin_may_replace_the_console_policy(world):
    sb, people = world
    kms = sb.client("kms")
    doc = policies.console_default(sb.account_id, [people.key_admin.principal], [people.key_user.principal])
    key_id = kms.create_key(Policy=json.dumps(doc))["KeyMetadata"]["KeyId"]
    admin_kms = people.key_admin.client("kms")
    admin_kms.put_key_policy(KeyId=key_id, Policy=json.dumps(doc))
    # ...but not with a policy that would lock the key administrator out
    with pytest.raises(ClientError) as err:
        admin_kms.put_key_policy(KeyId=key_id, Policy=json.dumps(policies.default_key_policy(sb.account_id)))
    assert err.value.response["Error"]["Code"] == "MalformedPolicyDocumentException"


# -- grants ------------------------------------------------------------------------------
def test_grant_operations_are_validated_and_listed(world):
    sb, people = world
    kms = sb.client("kms")
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError) as err:
        kms.create_grant(KeyId=arn, GranteePrincipal=people.outsider.principal, Operations=["Fly"])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    gid = kms.create_grant(KeyId=arn, GranteePrincipal=people.outsider.principal, Operations=["Decrypt"],
                           RetiringPrincipal=people.key_user.principal)["GrantId"]
    grants = kms.list_grants(KeyId=arn)["Grants"]
    assert [g["GrantId"] for g in grants] == [gid]
    assert grants[0]["KeyId"] == arn and grants[0]["IssuingAccount"] == f"arn:aws:iam::{sb.account_id}:root"
    with pytest.raises(ClientError) as err:
        people.outsider.client("kms").encrypt(KeyId=arn, Plaintext=b"x", GrantTokens=["bogus-token"])
    assert err.value.response["Error"]["Code"] == "InvalidGrantTokenException"
    # only the retiring principal (or the account) may retire it
    with pytest.raises(ClientError):
        people.outsider.client("kms").retire_grant(KeyId=arn, GrantId=gid)
    people.key_user.client("kms").retire_grant(KeyId=arn, GrantId=gid)
    assert kms.list_grants(KeyId=arn)["Grants"] == []


# -- explain -----------------------------------------------------------------------------
def test_explain_shows_the_statements_and_where_it_was_decided(world):
    sb, people = world
    kms = sb.client("kms")
    doc = policies.console_default(sb.account_id, [people.key_admin.principal], [people.key_user.principal])
    arn = kms.create_key(Policy=json.dumps(doc))["KeyMetadata"]["Arn"]
    text = access.explain(people.key_admin.client("kms"), "Decrypt", KeyId=arn, CiphertextBlob=b"x" * 40)
    assert text.splitlines()[0] == f"DENY  {people.key_admin.arn} -> kms:Decrypt on {arn}"
    assert "key policy statement 0 ('Enable IAM User Permissions'): Allow, names the caller's account" in text
    assert "decided by: the key policy delegates to IAM, but no IAM policy allows it" in text
    assert "error: User: " in text
    text = access.explain(people.key_user.client("kms"), "Encrypt", KeyId=arn, Plaintext=b"x")
    assert text.startswith("ALLOW") and "('Allow use of the key'): Allow, names the caller" in text
    assert "decided by: the key policy, which names the caller" in text
    # the explanation and the real call agree
    with pytest.raises(ClientError):
        people.key_admin.client("kms").encrypt(KeyId=arn, Plaintext=b"x")


def test_explain_shows_condition_results(world):
    sb, people = world
    kms = sb.client("kms")
    doc = policies.document(
        policies.statement("Allow", f"arn:aws:iam::{sb.account_id}:root", "kms:*"),
        policies.statement("Allow", people.key_user.principal, "kms:Encrypt",
                           {"StringEquals": {"kms:EncryptionContext:Department": "IT"}}, sid="IT only"))
    arn = kms.create_key(Policy=json.dumps(doc))["KeyMetadata"]["Arn"]
    text = access.explain(people.key_user.client("kms"), "Encrypt", KeyId=arn, Plaintext=b"x",
                          EncryptionContext={"Department": "Sales"})
    assert "StringEquals kms:EncryptionContext:Department ['IT'] vs request 'Sales': fails" in text
    assert text.startswith("DENY")
