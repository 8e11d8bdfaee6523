"""The fidelity ledger's data: each AWS rule of issue 3, what moto 5.2 alone does,
what AWS does (with the sources reference), and a probe that observes it.

A probe takes `client(service, region=None)` (a boto3 client factory) and
returns a short string: what it saw. `expected` is what AWS documents. Probes
use boto3 clients only, so they run unchanged against bare moto and the sandbox.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any, Callable

Client = Callable[..., Any]
_n = iter(range(1_000_000))
_RUN = os.urandom(3).hex()  # several runs may share one endpoint


def _name(prefix: str) -> str:
    return f"{prefix}-{_RUN}-{next(_n)}"


def outcome(fn: Callable[[], Any]) -> str:
    """'ok' if fn() succeeds, 'error:<Code>' for an AWS error, 'exception:<Type>' otherwise."""
    from botocore.exceptions import ClientError

    try:
        fn()
        return "ok"
    except ClientError as exc:
        return f"error:{exc.response['Error']['Code']}"
    except Exception as exc:  # moto crashes in-process (KeyError, NotImplementedError ...)
        return f"exception:{type(exc).__name__}"


def _key(client: Client, **kwargs) -> str:
    """A new key's id (bare ids: moto crashes on ARNs in some operations, a separate rule)."""
    return client("kms").create_key(**kwargs)["KeyMetadata"]["KeyId"]


def _arn(client: Client, **kwargs) -> str:
    return client("kms").create_key(**kwargs)["KeyMetadata"]["Arn"]


# -- probes ---------------------------------------------------------------------------------

def p_disabled_encrypt(c):
    k = _key(c)
    c("kms").disable_key(KeyId=k)
    return outcome(lambda: c("kms").encrypt(KeyId=k, Plaintext=b"x"))


def p_pending_deletion_encrypt(c):
    k = _key(c)
    c("kms").schedule_key_deletion(KeyId=k, PendingWindowInDays=7)
    return outcome(lambda: c("kms").encrypt(KeyId=k, Plaintext=b"x"))


def p_pending_import_encrypt(c):
    k = _key(c, Origin="EXTERNAL")
    return outcome(lambda: c("kms").encrypt(KeyId=k, Plaintext=b"x"))


def p_deletion_window(c):
    k = _key(c)
    return "accepted" if outcome(lambda: c("kms").schedule_key_deletion(
        KeyId=k, PendingWindowInDays=3)) == "ok" else "rejected"


def p_cancel_leaves_disabled(c):
    k = _key(c)
    c("kms").schedule_key_deletion(KeyId=k, PendingWindowInDays=7)
    c("kms").cancel_key_deletion(KeyId=k)
    return c("kms").describe_key(KeyId=k)["KeyMetadata"]["KeyState"]


def p_arn_everywhere(c):
    k = _arn(c)
    return outcome(lambda: (c("kms").disable_key(KeyId=k), c("kms").enable_key(KeyId=k),
                            c("kms").schedule_key_deletion(KeyId=k, PendingWindowInDays=7),
                            c("kms").cancel_key_deletion(KeyId=k)))


def p_incorrect_key(c):
    a, b = _key(c), _key(c)
    blob = c("kms").encrypt(KeyId=a, Plaintext=b"x")["CiphertextBlob"]
    return outcome(lambda: c("kms").decrypt(KeyId=b, CiphertextBlob=blob))


def p_rsa_alg_on_symmetric(c):
    k = _key(c)
    return outcome(lambda: c("kms").encrypt(KeyId=k, Plaintext=b"x",
                                            EncryptionAlgorithm="RSAES_OAEP_SHA_256"))


def p_encrypt_on_sign_key(c):
    k = _key(c, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    return outcome(lambda: c("kms").encrypt(KeyId=k, Plaintext=b"x",
                                            EncryptionAlgorithm="RSAES_OAEP_SHA_256"))


def _rsa(c, usage="ENCRYPT_DECRYPT"):
    return _key(c, KeySpec="RSA_2048", KeyUsage=usage)


def p_gdk_on_asymmetric(c):
    k = _rsa(c)
    return outcome(lambda: c("kms").generate_data_key(KeyId=k, KeySpec="AES_256"))


def p_mac_mismatch(c):
    k = _key(c, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    return outcome(lambda: c("kms").generate_mac(KeyId=k, Message=b"m", MacAlgorithm="HMAC_SHA_512"))


def p_invalid_signature(c):
    k = _key(c, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    sig = c("kms").sign(KeyId=k, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    return outcome(lambda: c("kms").verify(KeyId=k, Message=b"other", Signature=sig,
                                           SigningAlgorithm="ECDSA_SHA_256"))


def p_rsa_ciphertext_size(c):
    k = _rsa(c)
    blob = c("kms").encrypt(KeyId=k, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    return str(len(blob["CiphertextBlob"]))


def p_rsa_plaintext_limit(c):
    k = _rsa(c)
    return "accepted" if outcome(lambda: c("kms").encrypt(
        KeyId=k, Plaintext=b"x" * 191, EncryptionAlgorithm="RSAES_OAEP_SHA_256")) == "ok" else "rejected"


def p_rsa_requires_algorithm(c):
    k = _rsa(c)
    return "accepted" if outcome(lambda: c("kms").encrypt(KeyId=k, Plaintext=b"x")) == "ok" else "rejected"


def p_external_ciphertext(c):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    k = _rsa(c)
    public = serialization.load_der_public_key(c("kms").get_public_key(KeyId=k)["PublicKey"])
    blob = public.encrypt(b"made outside", padding.OAEP(padding.MGF1(hashes.SHA256()),
                                                        hashes.SHA256(), None))
    return outcome(lambda: c("kms").decrypt(KeyId=k, CiphertextBlob=blob,
                                            EncryptionAlgorithm="RSAES_OAEP_SHA_256"))


def p_public_key_keyspec(c):
    return str(c("kms").get_public_key(KeyId=_rsa(c)).get("KeySpec"))


def _offline_verify(c, algorithm, message_type):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    k = _rsa(c, "SIGN_VERIFY")
    public = serialization.load_der_public_key(c("kms").get_public_key(KeyId=k)["PublicKey"])
    digest = hashlib.sha256(b"message").digest()
    message = digest if message_type == "DIGEST" else b"message"
    sig = c("kms").sign(KeyId=k, Message=message, MessageType=message_type,
                        SigningAlgorithm=algorithm)["Signature"]
    pad = (padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
           if "PSS" in algorithm else padding.PKCS1v15())
    try:
        public.verify(sig, digest, pad, utils.Prehashed(hashes.SHA256()))
        return "valid"
    except InvalidSignature:
        return "invalid"


def p_sign_digest(c):
    return _offline_verify(c, "RSASSA_PKCS1_V1_5_SHA_256", "DIGEST")


def p_pss_salt(c):
    return _offline_verify(c, "RSASSA_PSS_SHA_256", "RAW")


def p_data_key_pair(c):
    k = _key(c)
    out = c("kms").generate_data_key_pair(KeyId=k, KeyPairSpec="ECC_NIST_P256")
    private = c("kms").decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"])["Plaintext"]
    return "encrypted-under-key" if private == out["PrivateKeyPlaintext"] else "mismatch"


def p_rotation_period(c):
    k = _key(c)
    c("kms").enable_key_rotation(KeyId=k, RotationPeriodInDays=90)
    status = c("kms").get_key_rotation_status(KeyId=k)
    return f"{status.get('RotationPeriodInDays')},{'next' if status.get('NextRotationDate') else 'none'}"


def p_rotate_new_material(c):
    k = _key(c)
    old = c("kms").encrypt(KeyId=k, Plaintext=b"x")["CiphertextBlob"]
    c("kms").rotate_key_on_demand(KeyId=k)
    new = c("kms").encrypt(KeyId=k, Plaintext=b"x")["CiphertextBlob"]
    a = c("kms").decrypt(CiphertextBlob=old)
    b = c("kms").decrypt(CiphertextBlob=new)
    rotations = len(c("kms").list_key_rotations(KeyId=k)["Rotations"])
    distinct = a.get("KeyMaterialId") and a.get("KeyMaterialId") != b.get("KeyMaterialId")
    return f"{'distinct' if distinct else 'same'}-material,rotations={rotations}"


def p_rotation_limit(c):
    k = _key(c)
    for i in range(1, 27):
        result = outcome(lambda: c("kms").rotate_key_on_demand(KeyId=k))
        if result != "ok":
            return f"refused-at-{i}:{result}"
    return "never-refused"


def p_rotation_asymmetric(c):
    k = _rsa(c)
    return outcome(lambda: c("kms").enable_key_rotation(KeyId=k))


def p_managed_key_manager(c):
    return ",".join(c("kms").describe_key(KeyId=f"alias/aws/{s}")["KeyMetadata"]["KeyManager"]
                    for s in ("s3", "ebs", "ssm"))


def p_managed_key_immutable(c):
    k = c("kms").describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["KeyId"]
    return ",".join("accepted" if outcome(f) == "ok" else "refused" for f in (
        lambda: c("kms").disable_key(KeyId=k),
        lambda: c("kms").schedule_key_deletion(KeyId=k, PendingWindowInDays=7),
        lambda: c("kms").rotate_key_on_demand(KeyId=k)))


def p_managed_key_rotates_yearly(c):
    k = c("kms").describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
    status = c("kms").get_key_rotation_status(KeyId=k)
    return f"{status['KeyRotationEnabled']},{status.get('RotationPeriodInDays')}"


def p_external_pending_import(c):
    k = _key(c, Origin="EXTERNAL")
    return c("kms").describe_key(KeyId=k)["KeyMetadata"]["KeyState"]


def _import(c, k, material, **extra):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    params = c("kms").get_parameters_for_import(KeyId=k, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                WrappingKeySpec="RSA_2048")
    public = serialization.load_der_public_key(params["PublicKey"])
    wrapped = public.encrypt(material, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    c("kms").import_key_material(KeyId=k, ImportToken=params["ImportToken"],
                                 EncryptedKeyMaterial=wrapped, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
                                 **extra)


def p_import_roundtrip(c):
    k = _key(c, Origin="EXTERNAL")
    result = outcome(lambda: _import(c, k, os.urandom(32)))
    if result != "ok":
        return result
    blob = c("kms").encrypt(KeyId=k, Plaintext=b"x")["CiphertextBlob"]
    return c("kms").describe_key(KeyId=k)["KeyMetadata"]["KeyState"] + "," + outcome(
        lambda: c("kms").decrypt(CiphertextBlob=blob))


def p_reimport_different(c):
    k = _key(c, Origin="EXTERNAL")
    first = outcome(lambda: _import(c, k, os.urandom(32)))
    if first != "ok":
        return first
    c("kms").delete_imported_key_material(KeyId=k)
    return outcome(lambda: _import(c, k, os.urandom(32)))


def p_delete_imported(c):
    k = _key(c, Origin="EXTERNAL")
    first = outcome(lambda: _import(c, k, os.urandom(32)))
    if first != "ok":
        return first
    c("kms").delete_imported_key_material(KeyId=k)
    return c("kms").describe_key(KeyId=k)["KeyMetadata"]["KeyState"]


def _replicate(c, primary_arn: str, region: str = "eu-west-1") -> dict:
    """ReplicateKey, then wait (on the sandbox's clock) until the replica is no longer Creating."""
    made = c("kms").replicate_key(KeyId=primary_arn.split("/")[-1], ReplicaRegion=region)
    replica = made["ReplicaKeyMetadata"]["Arn"]
    for _ in range(40):
        if c("kms", region).describe_key(KeyId=replica)["KeyMetadata"]["KeyState"] != "Creating":
            break
        c.wait(0.25)
    return made["ReplicaKeyMetadata"]


def p_mrk_decrypt(c):
    k = _arn(c, MultiRegion=True)
    _replicate(c, k)
    blob = c("kms").encrypt(KeyId=k, Plaintext=b"x")["CiphertextBlob"]
    replica = k.replace("us-east-1", "eu-west-1")
    return outcome(lambda: c("kms", "eu-west-1").decrypt(KeyId=replica, CiphertextBlob=blob))


def p_mrk_describe_replica(c):
    k = _arn(c, MultiRegion=True)
    _replicate(c, k)
    c("kms", "eu-west-1").describe_key(KeyId=k.replace("us-east-1", "eu-west-1"))
    meta = c("kms").describe_key(KeyId=k)["KeyMetadata"]
    return f"{meta['Arn'].split(':')[3]},{meta['MultiRegionConfiguration']['MultiRegionKeyType']}"


def _bucket(c) -> str:
    name = _name("kmslab-ledger")
    c("s3").create_bucket(Bucket=name)
    return name


def _s3_error(fn) -> str:
    return outcome(fn).replace("error:", "")


def p_s3_missing_key(c):
    b = _bucket(c)
    return _s3_error(lambda: c("s3").put_object(Bucket=b, Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                                                SSEKMSKeyId="alias/kmslab-no-such-key"))


def p_s3_disabled_key_get(c):
    b, k = _bucket(c), _key(c)
    c("s3").put_object(Bucket=b, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=k)
    c("kms").disable_key(KeyId=k)
    return _s3_error(lambda: c("s3").get_object(Bucket=b, Key="k")["Body"].read())


def p_s3_aws_managed_key(c):
    b = _bucket(c)
    out = c("s3").put_object(Bucket=b, Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    managed = c("kms").describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    return "aws/s3 ARN" if out.get("SSEKMSKeyId") == managed else f"reported {out.get('SSEKMSKeyId')}"


def p_s3_default_sse_s3(c):
    b = _bucket(c)
    return str(c("s3").put_object(Bucket=b, Key="k", Body=b"x").get("ServerSideEncryption"))


def _unblock_sse_c(c, b):
    outcome(lambda: c("s3").put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
         "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]}))


def p_sse_c_without_key(c):
    b = _bucket(c)
    _unblock_sse_c(c, b)
    c("s3").put_object(Bucket=b, Key="k", Body=b"x", SSECustomerAlgorithm="AES256",
                       SSECustomerKey=os.urandom(32))
    return _s3_error(lambda: c("s3").get_object(Bucket=b, Key="k")) + "," + \
        _s3_error(lambda: c("s3").head_object(Bucket=b, Key="k"))


def p_sse_c_blocked(c):
    b = _bucket(c)
    return _s3_error(lambda: c("s3").put_object(Bucket=b, Key="k", Body=b"x", SSECustomerAlgorithm="AES256",
                                                SSECustomerKey=os.urandom(32)))


def p_bucket_key_calls(c):
    b, k = _bucket(c), _arn(c)
    for i in range(5):
        c("s3").put_object(Bucket=b, Key=f"o{i}", Body=b"x", ServerSideEncryption="aws:kms",
                           SSEKMSKeyId=k, BucketKeyEnabled=True)
    events = c("cloudtrail").lookup_events(LookupAttributes=[
        {"AttributeKey": "ResourceName", "AttributeValue": k}])["Events"]
    return f"GenerateDataKey x{sum(e['EventName'] == 'GenerateDataKey' for e in events)}"


def p_ssm_hidden(c):
    name = "/" + _name("kmslab-ledger")
    c("ssm").put_parameter(Name=name, Value="plain-secret", Type="SecureString")
    value = c("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    return "revealed" if "plain-secret" in value else "ciphertext"


def p_ssm_disabled(c):
    name, k = "/" + _name("kmslab-ledger"), _key(c)
    c("ssm").put_parameter(Name=name, Value="v", Type="SecureString", KeyId=k)
    c("kms").disable_key(KeyId=k)
    return outcome(lambda: c("ssm").get_parameter(Name=name, WithDecryption=True))


def p_ssm_missing_key(c):
    return outcome(lambda: c("ssm").put_parameter(Name="/" + _name("kmslab-ledger"), Value="v",
                                                  Type="SecureString", KeyId="alias/kmslab-no-such-key"))


def p_cloudtrail(c):
    k = _arn(c)
    c("kms").encrypt(KeyId=k, Plaintext=b"x", EncryptionContext={"ledger": "yes"})
    events = c("cloudtrail").lookup_events(LookupAttributes=[
        {"AttributeKey": "ResourceName", "AttributeValue": k}])["Events"]
    record = [json.loads(e["CloudTrailEvent"]) for e in events if e["EventName"] == "Encrypt"][0]
    return f"Encrypt,{record['userIdentity']['type']},{record['requestParameters']['encryptionContext']}"


def p_cloudtrail_failed(c):
    outcome(lambda: c("kms").encrypt(KeyId="alias/kmslab-no-such-key", Plaintext=b"x"))
    events = c("cloudtrail").lookup_events(LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "Encrypt"}])["Events"]
    return json.loads(events[0]["CloudTrailEvent"]).get("errorCode", "none")


def p_s3_policy_conditions(c):
    b = _bucket(c)
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyUnencrypted", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{b}/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        {"Sid": "DenyPlainHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    c("s3").put_bucket_policy(Bucket=b, Policy=json.dumps(policy))
    encrypted = _s3_error(lambda: c("s3").put_object(Bucket=b, Key="e", Body=b"x",
                                                     ServerSideEncryption="aws:kms"))
    plain = _s3_error(lambda: c("s3").put_object(Bucket=b, Key="p", Body=b"x"))
    return f"{encrypted},{plain}"


def p_dsse_key_id(c):
    b = _bucket(c)
    out = c("s3").put_object(Bucket=b, Key="k", Body=b"x", ServerSideEncryption="aws:kms:dsse")
    head = c("s3").head_object(Bucket=b, Key="k")
    managed = c("kms").describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    seen = {out.get("SSEKMSKeyId"), head.get("SSEKMSKeyId")}
    return "aws/s3 ARN" if seen == {managed} else f"reported {sorted(map(str, seen))}"


def p_ebs_disabled_key(c):
    k = _key(c)
    c("kms").disable_key(KeyId=k)
    made: list[str] = []
    result = outcome(lambda: made.append(c("ec2").create_volume(
        AvailabilityZone="us-east-1a", Size=1, Encrypted=True, KmsKeyId=k)["VolumeId"]))
    if not made:
        return result
    return c("ec2").describe_volumes(VolumeIds=made)["Volumes"][0]["State"]


def p_ebs_share_default_key(c):
    ec2 = c("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=True)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    return outcome(lambda: ec2.modify_snapshot_attribute(
        SnapshotId=snapshot, Attribute="createVolumePermission", OperationType="add",
        UserIds=["111122223333"]))


def p_secret_disabled_key(c):
    k, name = _key(c), _name("kmslab-ledger-secret")
    c("secretsmanager").create_secret(Name=name, SecretString="v", KmsKeyId=k)
    c("kms").disable_key(KeyId=k)
    return outcome(lambda: c("secretsmanager").get_secret_value(SecretId=name))


def p_secret_missing_key(c):
    return outcome(lambda: c("secretsmanager").create_secret(
        Name=_name("kmslab-ledger-secret"), SecretString="v", KmsKeyId="alias/kmslab-no-such-key"))


def p_grant_token(c):
    iam, user = c("iam"), _name("kmslab-ledger-grantee")
    grantee_arn = iam.create_user(UserName=user)["User"]["Arn"]
    creds = iam.create_access_key(UserName=user)["AccessKey"]
    k = _arn(c)
    token = c("kms").create_grant(KeyId=k, GranteePrincipal=grantee_arn,
                                  Operations=["Encrypt"])["GrantToken"]
    grantee = c("kms", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"])
    without = outcome(lambda: grantee.encrypt(KeyId=k, Plaintext=b"x"))
    with_token = outcome(lambda: grantee.encrypt(KeyId=k, Plaintext=b"x", GrantTokens=[token]))
    return f"{without},{with_token}"


def p_other_region_arn(c):
    from botocore.exceptions import ClientError

    k = _arn(c)
    try:
        c("kms", "eu-west-1").encrypt(KeyId=k, Plaintext=b"x")
        return "ok"
    except ClientError as exc:
        return f"{exc.response['Error']['Code']}: {exc.response['Error']['Message']}"
    except Exception as exc:
        return f"exception:{type(exc).__name__}"


def p_generate_random_no_length(c):
    return outcome(lambda: c("kms").generate_random())


# -- the front door (issue 14): every request checked against botocore's KMS model ----------

def _error(fn) -> str:
    """'Code: message' of the AWS error fn raises ('ok' if none)."""
    from botocore.exceptions import ClientError

    try:
        fn()
        return "ok"
    except ClientError as exc:
        error = exc.response.get("Error", {})
        return f"{error.get('Code')}: {error.get('Message', '')}"
    except Exception as exc:
        return f"exception:{type(exc).__name__}"


def _tampered(c, target: str | None = None, body: bytes | None = None):
    """A fresh KMS client whose requests carry another X-Amz-Target or body (sent, then signed,
    like any other request)."""
    client = c("kms", fresh=True)

    def tamper(request, **_):
        if target is not None:
            del request.headers["X-Amz-Target"]  # headers add on assignment; replace it
            request.headers["X-Amz-Target"] = target
        if body is not None:
            request.data = body

    client.meta.events.register_first("before-sign.kms", tamper)
    return client


def p_unknown_operation(c):
    k = _key(c)
    return outcome(lambda: _tampered(c, target="TrentService.encrypt").encrypt(KeyId=k, Plaintext=b"x"))


def p_serialization(c):
    """A body that is not a JSON object, one that is not JSON, and one that is not UTF-8."""
    return ",".join(outcome(lambda body=body: _tampered(c, body=body).list_keys())
                    for body in (b"[]", b'{"Limit": 10', b'{"Marker": "\xff"}'))


def p_wrong_type(c):
    return outcome(lambda: c("kms").describe_key(KeyId=123))


def p_number_of_bytes_zero(c):
    return _error(lambda: c("kms").generate_random(NumberOfBytes=0))


def p_several_errors(c):
    return _error(lambda: c("kms").encrypt(KeyId="", Plaintext=b""))


def p_mac_enum(c):
    k = _key(c, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    return _error(lambda: c("kms").generate_mac(KeyId=k, Message=b"m", MacAlgorithm="INVALID"))


def p_context_limit(c):
    k = _key(c)
    return outcome(lambda: c("kms").encrypt(KeyId=k, Plaintext=b"x",
                                            EncryptionContext={"k": "v" * 8192}))


def p_alias_length(c):
    k = _key(c)
    return _error(lambda: c("kms").create_alias(AliasName="alias/" + "a" * 300, TargetKeyId=k))


def p_alias_prefix(c):
    k = _key(c)
    return _error(lambda: c("kms").create_alias(AliasName=_name("no-prefix"), TargetKeyId=k))


def p_alias_empty(c):
    k = _key(c)
    return outcome(lambda: c("kms").create_alias(AliasName="alias/", TargetKeyId=k))


def p_dry_run_encrypt(c):
    k = _key(c)
    return outcome(lambda: c("kms").encrypt(KeyId=k, Plaintext=b"x", DryRun=True))


def p_dry_run_grant(c):
    k = _key(c)
    first = outcome(lambda: c("kms").create_grant(
        KeyId=k, GranteePrincipal="arn:aws:iam::123456789012:root", Operations=["Decrypt"], DryRun=True))
    return f"{first},grants={len(c('kms').list_grants(KeyId=k)['Grants'])}"


def p_error_without_message(c):
    from botocore.exceptions import ClientError

    try:
        c("kms").decrypt(CiphertextBlob=b"not a ciphertext at all")
        return "ok"
    except ClientError as exc:
        return f"{exc.response['Error']['Code']},message={'message' in exc.response}"


# -- response shapes -----------------------------------------------------------------------

def _meta(c, **kwargs) -> dict:
    k = _key(c, **kwargs)
    return c("kms").describe_key(KeyId=k)["KeyMetadata"]


def p_multi_region_false(c):
    return str(_meta(c).get("MultiRegion"))


def p_hmac_shape(c):
    meta = _meta(c, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    return ",".join(f"{name}={meta.get(name, 'absent')}" for name in
                    ("MacAlgorithms", "SigningAlgorithms", "EncryptionAlgorithms"))


def p_key_agreement_shape(c):
    meta = _meta(c, KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")
    return ",".join(f"{name}={meta.get(name, 'absent')}" for name in
                    ("KeyAgreementAlgorithms", "SigningAlgorithms", "EncryptionAlgorithms"))


def p_current_key_material(c):
    symmetric = "CurrentKeyMaterialId" in _meta(c)
    rsa = "CurrentKeyMaterialId" in _meta(c, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    return f"symmetric={symmetric},rsa={rsa}"


# -- rules AWS enforces --------------------------------------------------------------------

def p_tag_reserved(c):
    return _error(lambda: c("kms").create_key(Tags=[{"TagKey": "AWS:team", "TagValue": "x"}]))


def p_tag_duplicate(c):
    k = _key(c)
    return _error(lambda: c("kms").tag_resource(KeyId=k, Tags=[{"TagKey": "a", "TagValue": "1"},
                                                             {"TagKey": "a", "TagValue": "2"}]))


def p_tag_limit(c):
    tags = [{"TagKey": f"t{i}", "TagValue": ""} for i in range(51)]
    return _error(lambda: c("kms").create_key(Tags=tags))


def p_tag_key_length(c):
    return _error(lambda: c("kms").create_key(Tags=[{"TagKey": "k" * 129, "TagValue": "v"}]))


def p_invalid_key_id(c):
    return _error(lambda: c("kms").describe_key(KeyId="fake-key-id"))


def p_key_usage_required(c):
    return _error(lambda: c("kms").create_key(KeySpec="HMAC_256"))


def p_import_pending(c):
    k = _key(c, Origin="EXTERNAL")
    first = outcome(lambda: _import(c, k, os.urandom(32)))
    if first != "ok":
        return first
    staged = outcome(lambda: _import(c, k, os.urandom(32), ImportType="NEW_KEY_MATERIAL"))
    if staged != "ok":
        return f"staged:{staged}"
    return outcome(lambda: _import(c, k, os.urandom(32), ImportType="NEW_KEY_MATERIAL"))


def p_state_before_spec(c):
    k = _rsa(c)
    c("kms").disable_key(KeyId=k)
    return outcome(lambda: c("kms").rotate_key_on_demand(KeyId=k))


def p_replica_creating(c):
    k = _arn(c, MultiRegion=True, Description="primary")
    first = c("kms").replicate_key(KeyId=k.split("/")[-1], ReplicaRegion="eu-west-1")["ReplicaKeyMetadata"]
    later = _replicate_wait(c, first["Arn"], "eu-west-1")
    return f"{first['KeyState']},{first['Enabled']},{first['Description']!r},then {later}"


def p_deny_names_its_principal(c):
    k = _key(c)
    policy = json.loads(c("kms").get_key_policy(KeyId=k, PolicyName="default")["Policy"])
    policy["Statement"].append({"Sid": "DenyAnotherAccount", "Effect": "Deny",
                                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                "Action": "kms:DescribeKey", "Resource": "*"})
    c("kms").put_key_policy(KeyId=k, PolicyName="default", Policy=json.dumps(policy),
                            BypassPolicyLockoutSafetyCheck=True)
    return outcome(lambda: c("kms").describe_key(KeyId=k))


def _replicate_wait(c, replica_arn: str, region: str) -> str:
    state = "Creating"
    for _ in range(40):
        state = c("kms", region).describe_key(KeyId=replica_arn)["KeyMetadata"]["KeyState"]
        if state != "Creating":
            break
        c.wait(0.25)
    return state


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _user_with_key(c, prefix: str, policy: dict | None = None) -> tuple[str, dict]:
    iam, user = c("iam"), _name(prefix)
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    if policy is not None:
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    return arn, iam.create_access_key(UserName=user)["AccessKey"]


def _as(c, service: str, creds: dict, secret: str | None = None):
    return c(service, access_key=creds["AccessKeyId"], secret_key=secret or creds["SecretAccessKey"])


def p_grant_retire_by_token(c):
    k = _arn(c)
    _, creds = _user_with_key(c, "kmslab-ledger-bystander")
    token = c("kms").create_grant(KeyId=k, GranteePrincipal=f"arn:aws:iam::{k.split(':')[4]}:root",
                                  Operations=["Decrypt"])["GrantToken"]
    return outcome(lambda: _as(c, "kms", creds).retire_grant(GrantToken=token))


def p_grant_creates_more(c):
    k = _arn(c)
    arn, creds = _user_with_key(c, "kmslab-ledger-delegate")
    token = c("kms").create_grant(KeyId=k, GranteePrincipal=arn, Operations=["CreateGrant"])["GrantToken"]
    return outcome(lambda: _as(c, "kms", creds).create_grant(
        KeyId=k, GranteePrincipal=arn, Operations=["Encrypt", "Decrypt"], GrantTokens=[token]))


def p_grant_star(c):
    return outcome(lambda: c("kms").create_grant(KeyId=_arn(c), GranteePrincipal="*", Operations=["Decrypt"]))


def p_grant_id_shape(c):
    import re

    grant_id = c("kms").create_grant(KeyId=_arn(c), GranteePrincipal="arn:aws:iam::123456789012:root",
                                     Operations=["Decrypt"])["GrantId"]
    return f"{len(grant_id)},{'hex' if re.fullmatch('[0-9a-f]+', grant_id) else 'other'}"


def p_wrong_secret(c):
    _, creds = _user_with_key(c, "kmslab-ledger-signer")
    return outcome(lambda: _as(c, "kms", creds, secret="guessed").list_keys())


def p_iam_self_escalation(c):
    arn, creds = _user_with_key(c, "kmslab-ledger-nobody")
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    return outcome(lambda: _as(c, "iam", creds).put_user_policy(
        UserName=arn.rsplit("/", 1)[1], PolicyName="all", PolicyDocument=json.dumps(everything)))


def p_assume_role_trust(c):
    arn, creds = _user_with_key(c, "kmslab-ledger-visitor")
    account, role = arn.split(":")[4], _name("kmslab-ledger-role")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}
    c("iam").create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    return outcome(lambda: _as(c, "sts", creds).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="ledger"))


def p_lookup_events_permission(c):
    _, creds = _user_with_key(c, "kmslab-ledger-reader")
    return outcome(lambda: _as(c, "cloudtrail", creds).lookup_events())


def p_moto_account_header(c):
    kms = c("kms", access_key="kmslab-ledger-header", secret_key="any")   # a client of its own

    def add(request, **_):
        request.headers["x-moto-account-id"] = "999988887777"

    kms.meta.events.register_first("before-sign.kms.*", add)
    return outcome(lambda: kms.create_key())


def p_read_only_encrypt(c):
    k = _key(c)
    c("kms").encrypt(KeyId=k, Plaintext=b"x")
    events = c("cloudtrail").lookup_events(LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "Encrypt"}])["Events"]
    return events[0]["ReadOnly"] if events else "no event"


# -- the data -------------------------------------------------------------------------------

def R(id, section, title, moto, aws, facts, probe, expected, not_with=None):
    rule = {"id": id, "section": section, "title": title, "moto": moto, "aws": aws,
            "facts": facts, "status": "modelled", "probe": probe, "expected": expected}
    if not_with:
        rule["not_with"] = not_with  # {client: why that client cannot send this request}
    return rule


def _api(page: str) -> str:
    """A link to a page of the AWS KMS API reference, for rules no entry of docs/sources.md covers."""
    return f"[{page}](https://docs.aws.amazon.com/kms/latest/APIReference/{page}.html)"


def _guide(page: str) -> str:
    """A link to a page of the AWS KMS developer guide."""
    return f"[{page}](https://docs.aws.amazon.com/kms/latest/developerguide/{page}.html)"


_API_ERRORS = _api("CommonErrors")

#: The AWS CLI builds every request from the same model as the SDKs; it cannot send these.
_CLI_CANNOT = {"cli": "the AWS CLI cannot send a request with another operation name or body"}
_V = "1 validation error detected: "
#: The local endpoint is plain HTTP: aws:SecureTransport is false there, as AWS would see it.
_OVER_HTTP = {client: "the local endpoint is plain HTTP, where aws:SecureTransport is false"
              for client in ("boto3", "cli")}


RULES: list[dict[str, Any]] = [
    R("disabled-key", "Key state", "A Disabled key cannot be used",
      "encrypts as if enabled", "DisabledException", "disable-before-delete", p_disabled_encrypt, "error:DisabledException"),
    R("pending-deletion", "Key state", "A key pending deletion cannot be used",
      "encrypts", "KMSInvalidStateException", "deletion-waiting-period, key-states", p_pending_deletion_encrypt,
      "error:KMSInvalidStateException"),
    R("pending-import", "Key state", "A key pending import cannot be used",
      "encrypts with material it never received", "KMSInvalidStateException", "key-states",
      p_pending_import_encrypt, "error:KMSInvalidStateException"),
    R("deletion-window", "Key state", "ScheduleKeyDeletion takes 7-30 days",
      "accepts 3 days", "rejects a window under 7 days", "deletion-waiting-period", p_deletion_window, "rejected"),
    R("key-arn", "Key state", "Operations accept a key ARN",
      "DisableKey/ScheduleKeyDeletion with an ARN crash (KeyError)", "accepted", "key-identifiers",
      p_arn_everywhere, "ok"),
    R("key-arn-region", "Key state", "A key ARN from another Region is not found",
      "NotFoundException: Key '<arn>' does not exist", "NotFoundException: Invalid arn <key's Region>",
      "key-identifiers, multi-region-keys", p_other_region_arn, "NotFoundException: Invalid arn us-east-1"),
    R("incorrect-key", "Errors and key usage", "Decrypt with the wrong KeyId",
      "AccessDeniedException", "IncorrectKeyException", "decrypt-key-and-algorithm", p_incorrect_key, "error:IncorrectKeyException"),
    R("rsa-alg-symmetric", "Errors and key usage", "RSA algorithm on a symmetric key",
      "ignores the algorithm", "InvalidKeyUsageException", "key-usage, rsa-algorithms", p_rsa_alg_on_symmetric,
      "error:InvalidKeyUsageException"),
    R("encrypt-sign-key", "Errors and key usage", "Encrypt with a SIGN_VERIFY key",
      "encrypts", "InvalidKeyUsageException", "key-usage", p_encrypt_on_sign_key, "error:InvalidKeyUsageException"),
    R("gdk-asymmetric", "Errors and key usage", "GenerateDataKey on an asymmetric key",
      "returns a data key", "InvalidKeyUsageException", "services-use-symmetric-keys, data-key-sizes", p_gdk_on_asymmetric,
      "error:InvalidKeyUsageException"),
    R("mac-mismatch", "Errors and key usage", "MAC algorithm that does not match the HMAC key",
      "accepted", "InvalidKeyUsageException", "hmac-keys", p_mac_mismatch, "error:InvalidKeyUsageException"),
    R("invalid-signature", "Errors and key usage", "Verify with a bad signature",
      "returns SignatureValid False", "KMSInvalidSignatureException", "signing-algorithms", p_invalid_signature,
      "error:KMSInvalidSignatureException"),
    R("generate-random-length", "Errors and key usage", "GenerateRandom without NumberOfBytes",
      "crashes (TypeError)", "ValidationException", "data-key-sizes", p_generate_random_no_length,
      "error:ValidationException"),
    R("rsa-size", "Real asymmetric cryptography", "RSA_2048 ciphertext is 256 bytes",
      "an AES blob (65 bytes for 1 byte of plaintext)", "256 bytes of RSAES-OAEP", "rsa-algorithms", p_rsa_ciphertext_size, "256"),
    R("rsa-limit", "Real asymmetric cryptography", "RSA plaintext limit (190 bytes, RSA_2048 OAEP SHA-256)",
      "accepts 191 bytes", "rejected", "encrypt-plaintext-limits", p_rsa_plaintext_limit, "rejected"),
    R("rsa-algorithm-required", "Real asymmetric cryptography", "RSA Encrypt requires EncryptionAlgorithm",
      "accepted without", "rejected", "rsa-algorithms", p_rsa_requires_algorithm, "rejected"),
    R("external-ciphertext", "Real asymmetric cryptography",
      "Decrypt accepts ciphertext made outside AWS with the public key",
      "rejects it", "decrypts", "public-key-download", p_external_ciphertext, "ok"),
    R("public-key-spec", "Real asymmetric cryptography", "GetPublicKey returns KeySpec",
      "omits KeySpec", "RSA_2048", "key-specs", p_public_key_keyspec, "RSA_2048"),
    R("sign-digest", "Real asymmetric cryptography", "Sign with MessageType=DIGEST signs the digest",
      "hashes the digest again", "verifies offline as a prehashed digest", "sign-message-limit", p_sign_digest, "valid"),
    R("pss-salt", "Real asymmetric cryptography", "RSA-PSS salt is the digest length",
      "maximum salt length", "verifies with salt_length=DIGEST_LENGTH", "rsa-algorithms", p_pss_salt, "valid"),
    R("data-key-pair", "Real asymmetric cryptography",
      "GenerateDataKeyPair's private key is encrypted under the named key",
      "not implemented", "Decrypt of PrivateKeyCiphertextBlob gives PrivateKeyPlaintext", "data-key-pairs",
      p_data_key_pair, "encrypted-under-key"),
    R("rotation-period", "Rotation", "RotationPeriodInDays stored and reported with the next date",
      "period not stored, no next date", "90,next", "automatic-rotation", p_rotation_period, "90,next"),
    R("rotate-on-demand", "Rotation", "RotateKeyOnDemand creates new key material; old ciphertext decrypts",
      "rotation changes nothing", "distinct material, ListKeyRotations lists it", "on-demand-rotation, rotation-history, rotation-keeps-old-material",
      p_rotate_new_material, "distinct-material,rotations=1"),
    R("rotation-limit", "Rotation", "At most 25 on-demand rotations per key",
      "no limit", "the 26th is refused (LimitExceededException)", "on-demand-rotation, resource-quotas", p_rotation_limit,
      "refused-at-26:error:LimitExceededException"),
    R("rotation-asymmetric", "Rotation", "Automatic rotation is refused for asymmetric keys",
      "accepted", "UnsupportedOperationException", "keys-that-cannot-rotate", p_rotation_asymmetric,
      "error:UnsupportedOperationException"),
    R("managed-key-manager", "AWS managed keys", "aws/s3, aws/ebs, aws/ssm describe as KeyManager AWS",
      "KeyManager CUSTOMER", "AWS", "aws-managed-keys", p_managed_key_manager, "AWS,AWS,AWS"),
    R("managed-key-immutable", "AWS managed keys", "AWS managed keys cannot be disabled, deleted or rotated on demand",
      "all accepted", "refused (the AWS managed key policy allows the account only Describe/Get/List)",
      "aws-managed-keys, aws-managed-key-policy, disable-before-delete", p_managed_key_immutable, "refused,refused,refused"),
    R("managed-key-yearly", "AWS managed keys", "AWS managed keys rotate every year",
      "rotation off", "True,365", "aws-managed-key-rotation", p_managed_key_rotates_yearly, "True,365"),
    R("external-pending-import", "Imported key material", "Origin EXTERNAL keys start PendingImport",
      "Enabled", "PendingImport", "key-states, imported-key-material", p_external_pending_import, "PendingImport"),
    R("import-roundtrip", "Imported key material", "ImportKeyMaterial accepts material wrapped locally",
      "not implemented", "Enabled,ok", "imported-key-material", p_import_roundtrip, "Enabled,ok"),
    R("reimport-different", "Imported key material", "Re-importing different material is refused",
      "not implemented", "IncorrectKeyMaterialException", "imported-key-material", p_reimport_different,
      "error:IncorrectKeyMaterialException"),
    R("delete-imported", "Imported key material", "DeleteImportedKeyMaterial returns the key to PendingImport",
      "not implemented", "PendingImport", "imported-key-material", p_delete_imported, "PendingImport"),
    R("mrk-decrypt", "Multi-Region keys", "A replica decrypts its primary's ciphertext",
      "AccessDeniedException", "decrypts", "multi-region-keys", p_mrk_decrypt, "ok"),
    R("mrk-describe", "Multi-Region keys", "Describing a replica leaves the primary's metadata alone",
      "the primary's metadata becomes the replica's (shared dict)", "us-east-1,PRIMARY", "multi-region-keys",
      p_mrk_describe_replica, "us-east-1,PRIMARY"),
    R("unknown-operation", "The front door", "Operation names are exact (TrentService.encrypt)",
      "runs moto's Encrypt, past every sandbox rule", "UnknownOperationException", _API_ERRORS, p_unknown_operation,
      "error:UnknownOperationException", _CLI_CANNOT),
    R("serialization", "The front door",
      "A body that is not a JSON object, not JSON, or not UTF-8 is refused",
      "accepted ([] and broken JSON); bad UTF-8 crashes (HTTP 500)", "SerializationException for each", _API_ERRORS, p_serialization,
      "error:SerializationException,error:SerializationException,error:SerializationException",
      _CLI_CANNOT),
    R("wrong-type", "The front door", "A member of the wrong JSON type (a number for KeyId)",
      "crashes (AttributeError; HTTP 500)", "SerializationException", _API_ERRORS, p_wrong_type, "error:SerializationException"),
    R("validation-range", "The front door", "Parameters are checked against the model (GenerateRandom NumberOfBytes=0)",
      "accepted (0 bytes)", "ValidationException in AWS's format", _api("API_GenerateRandom"), p_number_of_bytes_zero,
      "ValidationException: " + _V + "Value '0' at 'numberOfBytes' failed to satisfy constraint: "
      "Member must have value greater than or equal to 1"),
    R("validation-several", "The front door", "Several invalid parameters are reported together",
      "NotFoundException: Invalid keyId", "the count, and each error joined with '; '", _API_ERRORS, p_several_errors,
      "ValidationException: 2 validation errors detected: Value '' at 'keyId' failed to satisfy "
      "constraint: Member must have length greater than or equal to 1; Value at 'plaintext' failed "
      "to satisfy constraint: Member must have length greater than or equal to 1"),
    R("validation-enum", "The front door", "An unknown enum value (MacAlgorithm=INVALID)",
      "ValidationException: MacAlgorithm must be one of ...", "ValidationException naming the enum value set", _api("API_GenerateMac"), p_mac_enum,
      "ValidationException: " + _V + "Value 'INVALID' at 'macAlgorithm' failed to satisfy constraint: "
      "Member must satisfy enum value set: [HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512]"),
    R("context-limit", "The front door", "An encryption context is at most 8,192 characters",
      "accepted", "ValidationException", "encryption-context", p_context_limit, "error:ValidationException"),
    R("alias-length", "The front door", "An alias name is at most 256 characters",
      "accepted", "ValidationException", _api("API_CreateAlias"), p_alias_length,
      "ValidationException: " + _V + "Value 'alias/" + "a" * 300 + "' at 'aliasName' failed to "
      "satisfy constraint: Member must have length less than or equal to 256"),
    R("dry-run-encrypt", "The front door", "Encrypt with DryRun returns no ciphertext",
      "returns ciphertext", "DryRunOperationException", _guide("programming-dryrun"), p_dry_run_encrypt,
      "error:DryRunOperationException"),
    R("dry-run-grant", "The front door", "CreateGrant with DryRun creates no grant",
      "creates the grant", "DryRunOperationException, and no grant", _guide("programming-dryrun"), p_dry_run_grant,
      "error:DryRunOperationException,grants=0"),
    R("multi-region-false", "Response shapes", "KeyMetadata always has MultiRegion",
      "absent", "False for a single-Region key", _api("API_KeyMetadata"), p_multi_region_false, "False"),
    R("hmac-shape", "Response shapes", "HMAC keys list MacAlgorithms and no signing or encryption algorithms",
      "RSA EncryptionAlgorithms, an empty SigningAlgorithms, no MacAlgorithms", "MacAlgorithms only", _api("API_DescribeKey"), p_hmac_shape,
      "MacAlgorithms=['HMAC_SHA_256'],SigningAlgorithms=absent,EncryptionAlgorithms=absent"),
    R("key-agreement-shape", "Response shapes", "ECC KEY_AGREEMENT keys list KeyAgreementAlgorithms",
      "ECDSA SigningAlgorithms and RSA EncryptionAlgorithms", "KeyAgreementAlgorithms [ECDH] only", _api("API_KeyMetadata"), p_key_agreement_shape,
      "KeyAgreementAlgorithms=['ECDH'],SigningAlgorithms=absent,EncryptionAlgorithms=absent"),
    R("current-key-material", "Response shapes", "CurrentKeyMaterialId only on symmetric encryption keys",
      "absent on every key", "on symmetric keys, not on RSA keys", _api("API_KeyMetadata"), p_current_key_material,
      "symmetric=True,rsa=False"),
    R("tag-reserved", "Rules AWS enforces", "Tag keys beginning with aws: (any case) are reserved",
      "accepted", "TagException", _guide("tagging-keys"), p_tag_reserved,
      "TagException: Tags beginning with aws: are reserved"),
    R("tag-duplicate", "Rules AWS enforces", "Tag keys may not repeat",
      "accepted", "TagException", _guide("tagging-keys"), p_tag_duplicate, "TagException: Duplicate tag keys"),
    R("tag-limit", "Rules AWS enforces", "At most 50 tags on a key",
      "accepted", "TagException", _guide("tagging-keys"), p_tag_limit, "TagException: Too many tags"),
    R("tag-key-length", "Rules AWS enforces", "A tag key is 1-128 characters",
      "accepted", "ValidationException at 'tags.1.member.tagKey'", _api("API_Tag"), p_tag_key_length,
      "ValidationException: " + _V + "Value '" + "k" * 129 + "' at 'tags.1.member.tagKey' failed to "
      "satisfy constraint: Member must have length less than or equal to 128"),
    R("alias-prefix", "Rules AWS enforces", "An alias name starts with alias/",
      "ValidationException: Invalid identifier", "AWS's message, which points to the guide", _guide("kms-alias"), p_alias_prefix,
      "ValidationException: Alias must start with the prefix \"alias/\". Please see "
      "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"),
    R("alias-empty", "Rules AWS enforces", "alias/ alone is not an alias name",
      "accepted", "InvalidAliasNameException", _api("API_CreateAlias"), p_alias_empty,
      "error:InvalidAliasNameException"),
    R("invalid-key-id", "Rules AWS enforces", "A malformed key id is reported as such",
      "NotFoundException: Invalid keyId fake-key-id (no quotes)", "NotFoundException: Invalid keyId 'fake-key-id'", _api("API_DescribeKey"), p_invalid_key_id,
      "NotFoundException: Invalid keyId 'fake-key-id'"),
    R("key-usage-required", "Rules AWS enforces", "KeyUsage is required for every key but symmetric encryption keys",
      "accepted (an HMAC key for ENCRYPT_DECRYPT)", "ValidationException", _api("API_CreateKey"), p_key_usage_required,
      "ValidationException: You must specify a KeyUsage value for all KMS keys except for symmetric "
      "encryption keys."),
    R("import-pending", "Rules AWS enforces", "One NEW_KEY_MATERIAL import at a time waits for rotation",
      "ImportKeyMaterial not implemented", "KMSInvalidStateException for the second", _api("API_ImportKeyMaterial"), p_import_pending,
      "error:KMSInvalidStateException"),
    R("state-before-spec", "Rules AWS enforces", "The key state is checked before the key spec "
      "(RotateKeyOnDemand on a disabled RSA key)", "rotates the RSA key", "DisabledException", _api("API_RotateKeyOnDemand"),
      p_state_before_spec, "error:DisabledException"),
    R("replica-creating", "Rules AWS enforces", "A new replica is Creating, then Enabled",
      "Enabled at once, with the primary's description", "Creating, Enabled false, empty Description; Enabled once replicated", "multi-region-keys, key-states",
      p_replica_creating, "Creating,False,'',then Enabled"),
    R("deny-names-its-principal", "Who may do what", "A Deny applies only to the principals it names",
      "a Deny of kms:DescribeKey for another account refuses every caller's DescribeKey",
      "the caller, whom the Deny does not name, describes the key", "one-key-policy, key-policy-and-iam", p_deny_names_its_principal,
      "ok"),
    R("grant-consistency", "Who may do what",
      "A new grant works at once only with its grant token (grants are eventually consistent)",
      "no authorization: the grantee encrypts with or without the token",
      "AccessDeniedException without the token until the grant propagates (the sandbox: "
      "GRANT_PROPAGATION_SECONDS of sandbox time), allowed with it", "grants", p_grant_token,
      "error:AccessDeniedException,ok"),
    R("grant-retire-authorized", "Who may do what", "RetireGrant is authorized by the grant, not by holding its token",
      "anyone with the token retires it", "AccessDeniedException for a principal the grant does not name",
      "[grant-delete](https://docs.aws.amazon.com/kms/latest/developerguide/grant-delete.html)", p_grant_retire_by_token, "error:AccessDeniedException"),
    R("grant-derived-create-grant", "Who may do what",
      "CreateGrant through a grant gives at most the parent grant's operations",
      "a grantee with only CreateGrant grants itself Encrypt and Decrypt", "AccessDeniedException",
      "[create-grant-overview](https://docs.aws.amazon.com/kms/latest/developerguide/create-grant-overview.html#grant-creategrant)", p_grant_creates_more, "error:AccessDeniedException"),
    R("grant-principal", "Who may do what", "A grant's grantee must be a real principal",
      "accepts GranteePrincipal \"*\"", "ValidationException (\"*\" fails the model's pattern)",
      "[API_CreateGrant](https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html)", p_grant_star, "error:ValidationException"),
    R("grant-id", "Who may do what", "Grant ids are 64 hex characters",
      "32 hex characters from the seeded generator; tokens the same", "64 hex characters; tokens long and opaque "
      "(the sandbox: an HMAC with a secret of the process)", "[create-grant-overview](https://docs.aws.amazon.com/kms/latest/developerguide/create-grant-overview.html)", p_grant_id_shape,
      "64,hex"),
    R("sigv4", "Who may do what", "A request signed with the wrong secret is refused",
      "only the access key id is read", "InvalidSignatureException", "[Signature Version 4](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html)", p_wrong_secret,
      "error:InvalidSignatureException"),
    R("iam-authorized", "Who may do what", "IAM calls need IAM permissions",
      "a user with no permissions gives itself \"*\"", "AccessDenied", "[policy evaluation logic](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)",
      p_iam_self_escalation, "error:AccessDenied"),
    R("assume-role-trust", "Who may do what",
      "AssumeRole needs the trust policy (and, when it names the account, an IAM policy)",
      "anyone assumes any role, even one that does not exist", "AccessDenied", "[API_AssumeRole](https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html)",
      p_assume_role_trust, "error:AccessDenied"),
    R("lookup-events-authorized", "Who may do what", "LookupEvents needs cloudtrail:LookupEvents",
      "not implemented", "AccessDeniedException", "[CloudTrail identity-based policy examples](https://docs.aws.amazon.com/awscloudtrail/latest/userguide/security_iam_id-based-policy-examples.html)",
      p_lookup_events_permission, "error:AccessDeniedException"),
    R("moto-account-header", "Who may do what", "A request cannot pick its account with a header",
      "x-moto-account-id switches the account", "no such header; the sandbox refuses it (AccessDeniedException) "
      "unless the sandbox's own tooling sends it", "[Signature Version 4](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html)", p_moto_account_header,
      "error:AccessDeniedException", {"cli": "the AWS CLI cannot add a header to a request"}),
    R("s3-missing-key", "Services that use KMS", "SSE-KMS PUT with a missing key fails",
      "stores the object", "KMS.NotFoundException", "sse-kms, quotas-count-service-requests", p_s3_missing_key, "KMS.NotFoundException"),
    R("s3-disabled-key", "Services that use KMS", "SSE-KMS GET with a disabled key fails",
      "returns the plaintext", "KMS.DisabledException", "sse-kms, quotas-count-service-requests", p_s3_disabled_key_get,
      "KMS.DisabledException"),
    R("s3-aws-managed", "Services that use KMS", "SSE-KMS without a key id uses and reports aws/s3",
      "reports no key", "aws/s3 ARN", "sse-kms, aws-managed-keys", p_s3_aws_managed_key, "aws/s3 ARN"),
    R("s3-default-sse-s3", "Services that use KMS", "New buckets apply SSE-S3 by default",
      "no encryption reported", "AES256", "sse-s3-default, sse-s3", p_s3_default_sse_s3, "AES256"),
    R("sse-c-key-required", "Services that use KMS", "SSE-C GET/HEAD without the customer key fails",
      "readable without the key", "InvalidRequest (400)", "sse-c", p_sse_c_without_key, "InvalidRequest,400"),
    R("sse-c-blocked", "Services that use KMS", "SSE-C is blocked by default on new buckets (April 2026)",
      "accepted", "AccessDenied (403)", "sse-c-blocked-by-default", p_sse_c_blocked, "AccessDenied"),
    R("s3-bucket-key", "Services that use KMS", "S3 Bucket Keys: one GenerateDataKey for many objects",
      "no KMS calls, no CloudTrail", "one call per bucket key lifetime", "s3-bucket-keys, throttling", p_bucket_key_calls,
      "GenerateDataKey x1"),
    R("s3-policy-conditions", "Services that use KMS",
      "Bucket policy conditions (s3:x-amz-server-side-encryption, aws:SecureTransport) are evaluated",
      "a conditional Deny blocks every PutObject", "an encrypted HTTPS PUT passes, an unencrypted one "
      "is AccessDenied", "bucket-policy-require-encryption, bucket-policy-require-tls", p_s3_policy_conditions,
      "ok,AccessDenied", _OVER_HTTP),
    R("dsse-key-id", "Services that use KMS", "DSSE-KMS reports SSEKMSKeyId (aws/s3 by default)",
      "no SSEKMSKeyId", "the key ARN on PUT, GET and HEAD", "dsse-kms, sse-kms", p_dsse_key_id, "aws/s3 ARN"),
    R("ebs-disabled-key", "Services that use KMS", "An encrypted volume under a disabled key fails",
      "available (no KMS call)", "the volume's State becomes error", "snapshot-copy-key, disable-before-delete", p_ebs_disabled_key,
      "error"),
    R("ebs-share-aws-managed", "Services that use KMS",
      "A snapshot encrypted under aws/ebs cannot be shared",
      "shared", "OperationNotPermitted", "snapshot-sharing, aws-managed-keys-legacy", p_ebs_share_default_key,
      "error:OperationNotPermitted"),
    R("ssm-hidden", "Services that use KMS", "SecureString WithDecryption=False does not reveal the value",
      "stores and returns kms:<id>:<plaintext>", "ciphertext", "parameter-store", p_ssm_hidden, "ciphertext"),
    R("ssm-disabled", "Services that use KMS", "A disabled key blocks SecureString decryption",
      "returns the value", "InvalidKeyId (KMS DisabledException)", "parameter-store, disable-before-delete", p_ssm_disabled,
      "error:InvalidKeyId"),
    R("ssm-missing-key", "Services that use KMS", "PutParameter with a nonexistent key is refused",
      "accepted", "InvalidKeyId", "parameter-store", p_ssm_missing_key, "error:InvalidKeyId"),
    R("secret-disabled-key", "Services that use KMS", "A disabled key blocks GetSecretValue",
      "returns the value (stored in plaintext, no KMS call)",
      "DecryptionFailure (Secrets Manager decrypts each version's data key with KMS)", "secrets-manager, disable-before-delete",
      p_secret_disabled_key, "error:DecryptionFailure"),
    R("secret-missing-key", "Services that use KMS", "CreateSecret with a nonexistent KmsKeyId is refused",
      "accepted", "InvalidParameterException", "secrets-manager", p_secret_missing_key,
      "error:InvalidParameterException"),
    R("cloudtrail-records", "Audit trail",
      "CloudTrail records each KMS request (caller, key, encryption context)",
      "LookupEvents not implemented", "a record per request", "cloudtrail-logging, encryption-context", p_cloudtrail,
      "Encrypt,Root,{'ledger': 'yes'}"),
    R("cloudtrail-errors", "Audit trail", "Failed KMS requests are recorded with errorCode",
      "LookupEvents not implemented", "errorCode NotFoundException", "cloudtrail-logging", p_cloudtrail_failed,
      "NotFoundException"),
    R("cloudtrail-read-only", "Audit trail", "Cryptographic operations are logged readOnly true",
      "LookupEvents not implemented", "true (management writes: false)", "[ct-encrypt](https://docs.aws.amazon.com/kms/latest/developerguide/ct-encrypt.html)", p_read_only_encrypt,
      "true"),
]

#: Rules of issue 3 that moto 5.2 already gets right (probe kept, no sandbox code).
MOTO_MATCHES: list[dict[str, Any]] = [
    {"id": "error-no-message", "section": "The front door",
     "title": "InvalidCiphertextException carries no message member",
     "aws": "no message in the error body", "facts": _api("API_Decrypt"), "probe": p_error_without_message,
     "expected": "InvalidCiphertextException,message=False"},
    {"id": "cancel-deletion", "section": "Key state", "title": "CancelKeyDeletion leaves the key Disabled",
     "aws": "KeyState Disabled", "facts": "deletion-waiting-period", "probe": p_cancel_leaves_disabled, "expected": "Disabled"},
]

NOT_MODELLED: list[dict[str, str]] = [
    {"id": "sse-c-https", "title": "SSE-C requires HTTPS",
     "aws": "S3 rejects SSE-C over HTTP; the local endpoint is plain HTTP, so the sandbox accepts "
            "SSE-C there",
     "facts": "sse-c"},
    {"id": "s3-multipart-sse", "title": "SSE-KMS and SSE-C for multipart uploads",
     "aws": "each part is encrypted; the sandbox stores multipart objects as moto does", "facts": "sse-kms"},
    {"id": "dsse-kms", "title": "DSSE-KMS's second encryption layer",
     "aws": "two layers of encryption; the sandbox applies one, under one KMS data key (AWS does "
            "not document how many KMS requests the two layers make)", "facts": "dsse-kms"},
    {"id": "dsse-bucket-key-error", "title": "DSSE-KMS with BucketKeyEnabled",
     "aws": "bucket keys are not supported for DSSE-KMS; the sandbox ignores the request for one. "
            "Whether S3 rejects it, and with which error, is not documented", "facts": "s3-bucket-keys"},
    {"id": "ebs-grants", "title": "Grants that EBS creates for attached volumes",
     "aws": "EBS creates a grant per attached volume (counted against 50,000 grants per key); the "
            "sandbox calls KMS for volumes but creates no grants", "facts": "grants, resource-quotas"},
    {"id": "secret-key-change", "title": "Secrets Manager re-encryption when the key changes",
     "aws": "UpdateSecret with a new KmsKeyId re-encrypts the AWSCURRENT, AWSPENDING and AWSPREVIOUS "
            "versions; in the sandbox each version keeps the key it was encrypted under, and replica "
            "secrets are not re-encrypted under a replica-Region key", "facts": "secrets-manager"},
    {"id": "iam-advanced", "title": "Session policies, permissions boundaries and SCPs",
     "aws": "they can limit what an identity-based or key policy allows; the sandbox evaluates key "
            "policies, IAM identity policies and grants only", "facts": "explicit-permission-required, cross-account-access"},
    {"id": "service-quotas-api", "title": "The Service Quotas API",
     "aws": "KMS request quotas are viewed and raised through Service Quotas; the sandbox's quotas "
            "are set in code (kmslab.service.quotas)", "facts": "symmetric-request-quota, throttling"},
    {"id": "cloudtrail-delivery", "title": "CloudTrail trails, S3 log delivery and delay",
     "aws": "events reach the event history within minutes and trails deliver log files to S3; "
            "the sandbox serves KMS events from LookupEvents at once and records no other service",
     "facts": "cloudtrail-logging"},
    {"id": "china-regions", "title": "SM2 and SM4 (China Regions)", "aws": "China Regions only",
     "facts": "symmetric-default, china-regions"},
    {"id": "unauthorized-services", "title": "Authorization of S3, SSM, Secrets Manager, EC2 and SNS calls",
     "aws": "every call needs an IAM permission; the sandbox authorizes the KMS requests these services make "
            "for the caller (and S3 bucket policies), not the services' own API calls",
     "facts": "[policy evaluation logic](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)"},
    {"id": "unauthorized-sts", "title": "STS calls other than AssumeRole",
     "aws": "GetSessionToken and GetFederationToken need permissions and return the caller's own temporary "
            "credentials; moto returns fixed example keys, which the sandbox treats as made-up credentials "
            "(the default account's root). AssumeRole's ExternalId, MFA, session policies and tags are not "
            "evaluated, and the sandbox's root user may assume roles (AWS's root user may not)",
     "facts": "[requesting temporary credentials](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html)"},
    {"id": "unauthorized-cloudtrail", "title": "CloudTrail calls other than LookupEvents",
     "aws": "trail management needs cloudtrail: permissions; the sandbox authorizes LookupEvents only",
     "facts": "[CloudTrail identity-based policy examples](https://docs.aws.amazon.com/awscloudtrail/latest/userguide/security_iam_id-based-policy-examples.html)"},
    {"id": "iam-condition-keys", "title": "IAM condition keys on IAM calls",
     "aws": "iam:PolicyARN, aws:RequestTag and other keys can limit IAM actions; the sandbox's request "
            "context for IAM calls holds aws:PrincipalArn and aws:PrincipalAccount only",
     "facts": "[IAM condition keys](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html)"},
    {"id": "presigned-urls", "title": "Presigned URLs and request time",
     "aws": "query-string signatures are verified and expire; requests more than 15 minutes off are refused. "
            "The sandbox verifies header signatures only (a presigned URL acts as the default root, as moto "
            "reads no key from it) and ignores the request time (its clock is frozen)",
     "facts": "[Signature Version 4](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html)"},
    {"id": "grant-principal-existence", "title": "Whether a grant's principals exist",
     "aws": "the sandbox refuses grantees that are not principal ARNs (InvalidArnException; AWS's exact "
            "wording for this case is not documented) but does not check that the user or role exists",
     "facts": "[API_CreateGrant](https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html)"},
    {"id": "local-processes", "title": "Other programs on the same machine",
     "aws": "AWS authenticates every request. The sandbox's endpoint refuses web pages of other origins, "
            "but any local program, including another user's on a shared machine, can reach 127.0.0.1 and "
            "its control routes (reset, data.json). Run one sandbox per user, on a machine you do not share",
     "facts": "[Signature Version 4](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html)"},
]


# -- issue 14, section 4: operations and key types moto lacks ---------------------------------
# Kept in their own section so that merges stay simple. Sources are AWS documentation pages.

_API = "https://docs.aws.amazon.com/kms/latest/APIReference/"
_GUIDE = "https://docs.aws.amazon.com/kms/latest/developerguide/"


def _doc(page: str, guide: bool = False) -> str:
    return f"[{page}]({(_GUIDE if guide else _API) + page}.html)"


def _der_public(private) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)


def _pkcs8(private) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


def _offline_valid(verify: Callable[[], Any]) -> str:
    from cryptography.exceptions import InvalidSignature

    try:
        verify()
        return "valid"
    except InvalidSignature:
        return "invalid"


def p_ed25519_sign(c):
    from cryptography.hazmat.primitives import serialization

    k = _key(c, KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")
    sig = c("kms").sign(KeyId=k, Message=b"m", SigningAlgorithm="ED25519_SHA_512")["Signature"]
    public = serialization.load_der_public_key(c("kms").get_public_key(KeyId=k)["PublicKey"])
    return _offline_valid(lambda: public.verify(sig, b"m"))


def p_ml_dsa_sign(c):
    from cryptography.hazmat.primitives import serialization

    k = _key(c, KeySpec="ML_DSA_65", KeyUsage="SIGN_VERIFY")
    sig = c("kms").sign(KeyId=k, Message=b"m", SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    public = serialization.load_der_public_key(c("kms").get_public_key(KeyId=k)["PublicKey"])
    return _offline_valid(lambda: public.verify(sig, b"m"))


def p_ml_dsa_external_mu(c):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import mldsa

    k = _key(c, KeySpec="ML_DSA_44", KeyUsage="SIGN_VERIFY")
    public = serialization.load_der_public_key(c("kms").get_public_key(KeyId=k)["PublicKey"])
    message = b"m" * 5000
    hasher = mldsa.MLDSAMuHasher(public)
    hasher.update(message)
    sig = c("kms").sign(KeyId=k, Message=hasher.finalize(), MessageType="EXTERNAL_MU",
                        SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    return _offline_valid(lambda: public.verify(sig, message))


def p_sm2_outside_china(c):
    return outcome(lambda: c("kms").create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY"))


def p_derive_shared_secret(c):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    k = _key(c, KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")
    peer = ec.generate_private_key(ec.SECP256R1())
    secret = c("kms").derive_shared_secret(KeyId=k, KeyAgreementAlgorithm="ECDH",
                                           PublicKey=_der_public(peer))["SharedSecret"]
    public = serialization.load_der_public_key(c("kms").get_public_key(KeyId=k)["PublicKey"])
    return "matches" if secret == peer.exchange(ec.ECDH(), public) else "differs"


def p_ml_kem(c):
    from cryptography.hazmat.primitives import serialization

    k = _key(c, KeySpec="ML_KEM_768", KeyUsage="ENCAPSULATE_DECAPSULATE")
    public = serialization.load_der_public_key(c("kms").get_public_key(KeyId=k)["PublicKey"])
    secret, ciphertext = public.encapsulate()
    out = c("kms").decapsulate(KeyId=k, EncapsulationAlgorithm="ML_KEM", SharedSecretCiphertextBlob=ciphertext)
    return "matches" if out["SharedSecret"] == secret else "differs"


def _wrapped(c, k, material, algorithm="RSAES_OAEP_SHA_256", wrapping_key="RSA_2048"):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

    params = c("kms").get_parameters_for_import(KeyId=k, WrappingAlgorithm=algorithm, WrappingKeySpec=wrapping_key)
    public = serialization.load_der_public_key(params["PublicKey"])
    oaep = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)
    if algorithm.startswith("RSAES"):
        return params["ImportToken"], public.encrypt(material, oaep)
    aes = os.urandom(32)
    return params["ImportToken"], public.encrypt(aes, oaep) + aes_key_wrap_with_padding(aes, material)


def p_import_hmac(c):
    from cryptography.hazmat.primitives import hashes, hmac

    k = _key(c, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")
    state = c("kms").describe_key(KeyId=k)["KeyMetadata"]["KeyState"]
    material = os.urandom(32)
    token, wrapped = _wrapped(c, k, material)
    c("kms").import_key_material(KeyId=k, ImportToken=token, EncryptedKeyMaterial=wrapped,
                                 ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    mac = c("kms").generate_mac(KeyId=k, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    offline = hmac.HMAC(material, hashes.SHA256())
    offline.update(b"m")
    return f"{state},{'matches' if mac == offline.finalize() else 'differs'}"


def p_import_rsa(c):
    from cryptography.hazmat.primitives.asymmetric import rsa

    k = _key(c, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY", Origin="EXTERNAL")
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token, wrapped = _wrapped(c, k, _pkcs8(private), algorithm="RSA_AES_KEY_WRAP_SHA_256")
    c("kms").import_key_material(KeyId=k, ImportToken=token, EncryptedKeyMaterial=wrapped,
                                 ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    public = c("kms").get_public_key(KeyId=k)["PublicKey"]
    return "derived-from-import" if public == _der_public(private) else "another-key"


def p_import_rsa_needs_rsa_aes(c):
    k = _key(c, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT", Origin="EXTERNAL")
    return outcome(lambda: c("kms").get_parameters_for_import(KeyId=k, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                              WrappingKeySpec="RSA_4096"))


def p_import_single_material(c):
    k = _key(c, KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")
    material = os.urandom(48)
    token, wrapped = _wrapped(c, k, material)
    c("kms").import_key_material(KeyId=k, ImportToken=token, EncryptedKeyMaterial=wrapped,
                                 ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    token, wrapped = _wrapped(c, k, os.urandom(48))
    return outcome(lambda: c("kms").import_key_material(
        KeyId=k, ImportToken=token, EncryptedKeyMaterial=wrapped, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"))


def p_import_ml_dsa(c):
    return outcome(lambda: c("kms").create_key(KeySpec="ML_DSA_44", KeyUsage="SIGN_VERIFY", Origin="EXTERNAL"))


def _store(c, name: str) -> str:
    letters = "".join("abcdefghij"[int(d)] for d in str(next(_n))).rjust(3, "a")  # one cluster per store
    return c("kms").create_custom_key_store(
        CustomKeyStoreName=_name(name), CloudHsmClusterId=f"cluster-ledgerhsm{letters}", KeyStorePassword="kmsPswd1",
        TrustAnchorCertificate="-----BEGIN CERTIFICATE-----")["CustomKeyStoreId"]


def _connection_state(c, store: str) -> str:
    return c("kms").describe_custom_key_stores(CustomKeyStoreId=store)["CustomKeyStores"][0]["ConnectionState"]


def p_cks_states(c):
    store = c("kms").create_custom_key_store(
        CustomKeyStoreName=_name("ledger-xks"), CustomKeyStoreType="EXTERNAL_KEY_STORE",
        XksProxyUriEndpoint=f"https://{_name('xks')}.example.com", XksProxyUriPath="/kms/xks/v1",
        XksProxyConnectivity="PUBLIC_ENDPOINT",
        XksProxyAuthenticationCredential={"AccessKeyId": "ABCDEFGHIJKLMNOPQRST", "RawSecretAccessKey": "A" * 43},
    )["CustomKeyStoreId"]
    seen = [_connection_state(c, store)]
    c("kms").connect_custom_key_store(CustomKeyStoreId=store)
    seen.append(_connection_state(c, store))
    c("kms").disconnect_custom_key_store(CustomKeyStoreId=store)
    seen.append(_connection_state(c, store))
    return ",".join(seen)


def p_cks_create_key_disconnected(c):
    store = _store(c, "ledger-hsm")
    return outcome(lambda: c("kms").create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store))


def p_cks_delete_connected(c):
    store = _store(c, "ledger-hsm")
    c("kms").connect_custom_key_store(CustomKeyStoreId=store)
    return outcome(lambda: c("kms").delete_custom_key_store(CustomKeyStoreId=store))


def p_cks_random_disconnected(c):
    store = _store(c, "ledger-hsm")
    return outcome(lambda: c("kms").generate_random(NumberOfBytes=8, CustomKeyStoreId=store))


def p_key_last_usage(c):
    k = _arn(c)
    c("kms").encrypt(KeyId=k, Plaintext=b"x")
    last = c("kms").get_key_last_usage(KeyId=k)["KeyLastUsage"]
    event = c("cloudtrail").lookup_events(LookupAttributes=[
        {"AttributeKey": "EventId", "AttributeValue": last["CloudTrailEventId"]}])["Events"]
    return f"{last['Operation']},{event[0]['EventName'] if event else 'no event'}"


def p_update_primary_region(c):
    k = _arn(c, MultiRegion=True)
    c("kms").replicate_key(KeyId=k, ReplicaRegion="eu-west-1")
    c("kms").update_primary_region(KeyId=k, PrimaryRegion="eu-west-1")
    return c("kms").describe_key(KeyId=k)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"]


RULES += [
    R("ed25519-sign", "Newer key specs", "Ed25519 keys sign (ED25519_SHA_512) and verify offline",
      "CreateKey refuses ECC_NIST_EDWARDS25519", "a PureEdDSA signature that verifies with the public key",
      _doc("API_Sign"), p_ed25519_sign, "valid"),
    R("ml-dsa-sign", "Newer key specs", "ML-DSA keys sign (ML_DSA_SHAKE_256) and verify offline",
      "CreateKey refuses ML_DSA_65", "an ML-DSA signature that verifies with the public key",
      _doc("mldsa", guide=True), p_ml_dsa_sign, "valid"),
    R("ml-dsa-external-mu", "Newer key specs", "MessageType EXTERNAL_MU signs a message over 4 KB by its mu",
      "CreateKey refuses ML-DSA keys", "the signature verifies over the whole message",
      _doc("mldsa", guide=True), p_ml_dsa_external_mu, "valid"),
    R("sm2-outside-china", "Newer key specs", "SM2 keys exist only in the China Regions",
      "creates an SM2 key (with an RSA key pair inside)", "UnsupportedOperationException",
      _doc("API_CreateKey"), p_sm2_outside_china, "error:UnsupportedOperationException"),
    R("derive-shared-secret", "Shared secrets", "DeriveSharedSecret returns the ECDH secret a peer derives offline",
      "not implemented", "the same raw secret as ECDH with the peer's private key and the KMS public key",
      _doc("API_DeriveSharedSecret"), p_derive_shared_secret, "matches"),
    R("ml-kem", "Shared secrets", "Decapsulate recovers a secret encapsulated offline to an ML-KEM key",
      "CreateKey refuses ML-KEM keys; Encapsulate/Decapsulate not implemented", "the same 32-byte secret",
      _doc("API_Decapsulate"), p_ml_kem, "matches"),
    R("import-hmac", "Imported key material (asymmetric and HMAC)",
      "An HMAC key takes imported material and MACs as HMAC with it",
      "Enabled at once; GetParametersForImport not implemented", "PendingImport, then the offline HMAC",
      _doc("importing-keys-conceptual", guide=True), p_import_hmac, "PendingImport,matches"),
    R("import-rsa", "Imported key material (asymmetric and HMAC)",
      "An RSA key takes an imported PKCS #8 private key; KMS derives the public key",
      "GetParametersForImport not implemented", "GetPublicKey returns the imported key's public key",
      _doc("importing-keys-conceptual", guide=True), p_import_rsa, "derived-from-import"),
    R("import-rsa-wrapping", "Imported key material (asymmetric and HMAC)",
      "RSA key material needs an RSA_AES_KEY_WRAP wrapping algorithm",
      "not implemented", "RSAES_OAEP_SHA_256 refused (UnsupportedOperationException)",
      _doc("API_GetParametersForImport"), p_import_rsa_needs_rsa_aes, "error:UnsupportedOperationException"),
    R("import-single-material", "Imported key material (asymmetric and HMAC)",
      "Asymmetric and HMAC keys keep their first imported material for good",
      "not implemented", "other material is IncorrectKeyMaterialException",
      _doc("importing-keys-import-key-material", guide=True), p_import_single_material,
      "error:IncorrectKeyMaterialException"),
    R("import-ml-dsa", "Imported key material (asymmetric and HMAC)", "ML-DSA keys cannot take imported material",
      "ValidationException (moto knows no ML-DSA)", "UnsupportedOperationException",
      _doc("importing-keys-conceptual", guide=True), p_import_ml_dsa, "error:UnsupportedOperationException"),
    R("cks-states", "Custom key stores", "A store is DISCONNECTED, then CONNECTING and DISCONNECTING as asked",
      "not implemented", "DISCONNECTED,CONNECTING,DISCONNECTING (each change completes later)",
      _doc("API_ConnectCustomKeyStore"), p_cks_states, "DISCONNECTED,CONNECTING,DISCONNECTING"),
    R("cks-create-key", "Custom key stores", "Keys are created in a store only while it is CONNECTED",
      "custom key stores not implemented", "CustomKeyStoreInvalidStateException",
      _doc("API_CreateKey"), p_cks_create_key_disconnected, "error:CustomKeyStoreInvalidStateException"),
    R("cks-delete", "Custom key stores", "A store is deleted only when DISCONNECTED",
      "not implemented", "CustomKeyStoreInvalidStateException",
      _doc("API_DeleteCustomKeyStore"), p_cks_delete_connected, "error:CustomKeyStoreInvalidStateException"),
    R("cks-random", "Custom key stores", "GenerateRandom in a CloudHSM key store needs it connected",
      "custom key stores not implemented", "CustomKeyStoreInvalidStateException",
      _doc("API_GenerateRandom"), p_cks_random_disconnected, "error:CustomKeyStoreInvalidStateException"),
    R("key-last-usage", "Usage and multi-Region keys",
      "GetKeyLastUsage names the last cryptographic operation and its CloudTrail event",
      "not implemented", "Encrypt and the event that recorded it", _doc("API_GetKeyLastUsage"),
      p_key_last_usage, "Encrypt,Encrypt"),
    R("update-primary-region", "Usage and multi-Region keys",
      "UpdatePrimaryRegion makes the replica primary and the primary a replica",
      "not implemented (the request crashes with KeyError)", "the former primary describes as REPLICA",
      _doc("API_UpdatePrimaryRegion"),
      p_update_primary_region, "REPLICA"),
]

NOT_MODELLED += [
    {"id": "ed25519ph", "title": "ED25519_PH_SHA_512 (Ed25519ph) signatures",
     "aws": "signs a SHA-512 digest with HashEdDSA; the installed cryptography has no Ed25519ph, so the "
            "sandbox answers UnsupportedOperationException", "facts": _doc("API_Sign")},
    {"id": "ml-kem-512", "title": "ML_KEM_512 keys",
     "aws": "an ML-KEM key spec; the installed cryptography has ML-KEM-768 and -1024 only, so CreateKey "
            "and GenerateDataKeyPair answer as a Region without it (UnsupportedOperationException)",
     "facts": _doc("API_CreateKey")},
    {"id": "attestation", "title": "Recipient (Nitro Enclaves and NitroTPM attestation)",
     "aws": "returns secrets encrypted to the enclave (CiphertextForRecipient); the sandbox cannot verify "
            "attestation documents and refuses Recipient (UnsupportedOperationException) rather than "
            "return plaintext", "facts": _doc("cryptographic-attestation", guide=True)},
    {"id": "cks-backing-stores", "title": "CloudHSM clusters and external key store proxies",
     "aws": "KMS checks the cluster (HSMs, kmsuser, trust anchor) or the proxy (reachability, credential, "
            "external key) and XKS keys are double-encrypted; the sandbox accepts any well-formed settings, "
            "uses KMS key material only, connects in 60 s and disconnects in 10 s of sandbox time, and fails a "
            "connection only when told (custom_key_stores.fail_next_connection)",
     "facts": _doc("custom-key-store-overview", guide=True)},
    {"id": "update-primary-updating", "title": "The Updating key state during UpdatePrimaryRegion",
     "aws": "both keys show Updating for a few seconds; the sandbox changes the primary at once",
     "facts": _doc("API_UpdatePrimaryRegion")},
]


# -- issue 13: Parameter Store tiers, Secrets Manager resource policies, aliases ----------------
# In their own section so that merges stay simple.

def p_ssm_standard_size(c):
    return outcome(lambda: c("ssm").put_parameter(Name="/" + _name("kmslab-ledger"), Value="x" * 4097,
                                                  Type="String"))


def p_ssm_intelligent_tiering(c):
    return c("ssm").put_parameter(Name="/" + _name("kmslab-ledger"), Value="x" * 5000, Type="String",
                                  Tier="Intelligent-Tiering")["Tier"]


def p_secret_policy_deny(c):
    sm = c("secretsmanager")
    arn = sm.create_secret(Name=_name("kmslab-ledger-secret"), SecretString="v")["ARN"]
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    return outcome(lambda: sm.get_secret_value(SecretId=arn))


def p_alias_other_region(c):
    elsewhere = c("kms", "eu-west-1").create_key()["KeyMetadata"]["Arn"]
    return outcome(lambda: c("kms").create_alias(AliasName="alias/" + _name("kmslab-ledger"),
                                                 TargetKeyId=elsewhere))


def p_delete_alias_keeps_key(c):
    k, alias = _key(c), "alias/" + _name("kmslab-ledger")
    c("kms").create_alias(AliasName=alias, TargetKeyId=k)
    blob = c("kms").encrypt(KeyId=alias, Plaintext=b"x")["CiphertextBlob"]
    c("kms").delete_alias(AliasName=alias)
    state = c("kms").describe_key(KeyId=k)["KeyMetadata"]["KeyState"]
    return f"{state},{outcome(lambda: c('kms').decrypt(CiphertextBlob=blob))}"


RULES += [
    R("ssm-standard-size", "Parameter Store and Secrets Manager", "A Standard parameter holds at most 4 KB",
      "stores a value of any length", "ValidationException (Advanced holds 8 KB)", "parameter-store",
      p_ssm_standard_size, "error:ValidationException"),
    R("ssm-intelligent-tiering", "Parameter Store and Secrets Manager",
      "Intelligent-Tiering makes a parameter that does not fit Standard an Advanced one",
      "reports Intelligent-Tiering", "Advanced", "parameter-store", p_ssm_intelligent_tiering, "Advanced"),
    R("secret-resource-policy", "Parameter Store and Secrets Manager",
      "A secret's resource policy is enforced: an explicit Deny refuses, and another account needs its Allow "
      "(and an IAM policy in its own account)",
      "stores the policy but never reads it; a secret named by another account's ARN is not found",
      "AccessDeniedException (the probe: an explicit Deny within the account)", "secrets-manager-cross-account",
      p_secret_policy_deny, "error:AccessDeniedException"),
]

MOTO_MATCHES += [
    {"id": "alias-other-region", "section": "Aliases",
     "title": "An alias cannot point at a key in another Region", "aws": "NotFoundException",
     "facts": "aliases", "probe": p_alias_other_region, "expected": "error:NotFoundException"},
    {"id": "delete-alias-keeps-key", "section": "Aliases",
     "title": "DeleteAlias leaves the key, and its old ciphertexts still decrypt", "aws": "Enabled, decrypts",
     "facts": "aliases", "probe": p_delete_alias_keeps_key, "expected": "Enabled,ok"},
]

NOT_MODELLED += [
    {"id": "service-iam-same-account", "title": "IAM permissions for Parameter Store and Secrets Manager calls",
     "aws": "ssm:GetParameter, secretsmanager:GetSecretValue and the other actions need an IAM (or resource) "
            "policy that allows them; like moto, the sandbox judges them only across accounts (Secrets "
            "Manager) or by an explicit Deny in a secret's resource policy. The KMS requests these services "
            "make for the caller are authorized in full (kms:Decrypt, kms:GenerateDataKey)",
     "facts": "parameter-store, secrets-manager-cross-account"},
]


# -- issue 14: the request context of KMS authorizations ---------------------------------------
# Every KMS condition key is carried for the operations AWS lists it for (service/condition_keys.py,
# tests/test_condition_keys.py); these are the keys it does not carry.

NOT_MODELLED += [
    {"id": "condition-keys-missing", "title": "Condition keys the sandbox's request context lacks",
     "aws": "kms:TrailingDaysWithoutKeyUsage (DisableKey, ScheduleKeyDeletion), kms:GranteeServicePrincipal, "
            "kms:RetiringServicePrincipal and kms:GrantConstraintSourceArn (CreateGrant), "
            "kms:RecipientAttestation:* (the sandbox refuses Recipient) and the global keys other than "
            "aws:PrincipalArn, aws:PrincipalAccount and aws:SecureTransport (aws:ResourceTag, aws:SourceIp ...). "
            "A policy that tests one of them sees it missing. The other KMS condition keys are in the request "
            "context of exactly the operations AWS lists them for",
     "facts": "[Service Authorization Reference: AWS KMS](https://docs.aws.amazon.com/service-authorization/"
              "latest/reference/list_awskeymanagementservice.html)"},
]
