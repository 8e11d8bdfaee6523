"""EBS encryption that really uses KMS: encrypted volumes, snapshots, copies and sharing.

moto 5.2's EC2 never calls KMS for EBS: any key id is accepted, a snapshot of an
encrypted volume has no KmsKeyId, a snapshot shared with another account cannot be
copied there, and snapshots under aws/ebs can be shared (../shared/reference/moto-gaps.md).
Here moto's EBS request handlers are wrapped so that, for every client:

- an encrypted volume gets a data key from KMS (GenerateDataKeyWithoutPlaintext under
  its key, encryption context {"aws:ebs:id": <volume id>}, sources: encryption-context), asked on the
  caller's behalf via ec2.<region>.amazonaws.com (sources: condition-keys), so the caller's key
  policy / IAM permissions decide, as in AWS; without KmsKeyId the account's default EBS
  key is used (aws/ebs, or the one set with ModifyEbsDefaultKmsKeyId, sources: snapshot-copy-key);
- a snapshot of an encrypted volume keeps the volume's key and data key;
- a volume made from an encrypted snapshot, and CopySnapshot of one, first Decrypt the
  snapshot's data key (in the snapshot's Region and account), then get a new data key
  under the destination key (sources: snapshot-copy-region, snapshot-copy-key, snapshot-full-copy: a copy that changes key is a full copy);
  CopySnapshot without KmsKeyId uses the destination Region's default EBS key (sources: snapshot-copy-key);
- CopySnapshot finds a snapshot another account shared with the caller
  (createVolumePermission), so the receiving account can copy it (sources: shared-snapshot-copy);
- ModifySnapshotAttribute refuses to share a snapshot encrypted under the AWS managed
  key aws/ebs (sources: snapshot-sharing, aws-managed-keys-legacy) with AWS's error, "OperationNotPermitted: Encrypted
  snapshots with EBS default key cannot be shared" (as real EC2 answered in
  hashicorp/packer#7499 and #8271).

KMS failures: AWS reports an unusable key asynchronously (sources: snapshot-copy-key): the copy's
State becomes "error" with a StateMessage, a new volume's State becomes "error".
The StateMessage wording is the sandbox's. Not modelled: the grants EBS creates for
attached volumes (sources: grants), creating a volume directly from a snapshot owned by
another account (copy it first, as AWS recommends, sources: shared-snapshot-copy), making encrypted
snapshots public.
"""
from __future__ import annotations

import base64

from . import dispatch, keys
from .patching import wrap
from .errors import KmsError

DEFAULT_ALIAS = "alias/aws/ebs"


def _region(resp) -> str:
    return resp.region


def _kms(resp, region: str, operation: str, params: dict) -> dict:
    """Call KMS as EBS does: for the caller, via ec2.<region>.amazonaws.com (sources: condition-keys, quotas-count-service-requests)."""
    call = dispatch.KmsCall(operation=operation, params=params, account_id=resp.current_account,
                            region=region, access_key=_access_key(resp),
                            via_service=f"ec2.{region}.amazonaws.com")
    return dispatch.invoke(call)


def _access_key(resp) -> str | None:
    try:
        return resp.get_access_key()
    except Exception:  # unsigned request
        return None


def _context(resource_id: str) -> dict[str, str]:
    return {"aws:ebs:id": resource_id}  # sources: encryption-context


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _default_key(resp, backend) -> str:
    """The account's default EBS key in this Region (sources: snapshot-copy-key)."""
    chosen = getattr(backend, "kmslab_default_key", None)
    return chosen or _kms(resp, backend.region_name, "DescribeKey", {"KeyId": DEFAULT_ALIAS})["KeyMetadata"]["Arn"]


def _key_arn(resp, region: str, key_id: str) -> str:
    # EBS asks KMS in the resource's own Region, where a key of another Region does not
    # exist (sources: keys-are-regional, snapshot-copy-key); KMS itself says so.
    return _kms(resp, region, "DescribeKey", {"KeyId": key_id})["KeyMetadata"]["Arn"]


def _new_data_key(resp, region: str, key_arn: str, resource_id: str) -> bytes:
    out = _kms(resp, region, "GenerateDataKeyWithoutPlaintext",
               {"KeyId": key_arn, "KeySpec": "AES_256", "EncryptionContext": _context(resource_id)})
    return base64.b64decode(out["CiphertextBlob"])


def _open_data_key(resp, source) -> None:
    """Decrypt a snapshot's data key in its own Region: the caller must be allowed to use its key."""
    _kms(resp, source.ec2_backend.region_name, "Decrypt",
         {"CiphertextBlob": _b64(source.kmslab_edk), "KeyId": source.kms_key_id,
          "EncryptionContext": source.kmslab_context})


def _seal(resp, resource, region: str, key_id: str | None, source=None) -> None:
    """Give a new volume or snapshot copy its encrypted data key; on a KMS error, mark it failed."""
    try:
        arn = _key_arn(resp, region, key_id) if key_id else _default_key(resp, resource.ec2_backend)
        resource.kms_key_id, resource.encrypted = arn, True
        if source is not None and getattr(source, "kmslab_edk", None) is not None:
            _open_data_key(resp, source)
        resource.kmslab_edk = _new_data_key(resp, region, arn, resource.id)
        resource.kmslab_context = _context(resource.id)
    except KmsError as exc:
        resource.kmslab_error = f"{exc.code}: {exc.message}"
        if hasattr(resource, "state_message"):  # a snapshot
            resource.status, resource.state_message = "error", resource.kmslab_error


def _shared_snapshot(account: str, region: str, snapshot_id: str):
    """A snapshot in `region` that another account shared with `account` (createVolumePermission)."""
    from moto.ec2.models import ec2_backends

    for owner, regions in list(ec2_backends.items()):
        if owner == account or region not in regions:
            continue
        snap = regions[region].snapshots.get(snapshot_id)
        if snap is not None and (account in snap.create_volume_permission_userids
                                 or "all" in snap.create_volume_permission_groups):
            return snap
    return None


def _install() -> None:
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import EC2ClientError, InvalidSnapshotIdError
    from moto.ec2.models.elastic_block_store import EBSBackend, Snapshot, Volume
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore
    from moto.ec2.utils import random_snapshot_id

    if getattr(ElasticBlockStore, "_kmslab_ebs", False):
        return
    ElasticBlockStore._kmslab_ebs = True

    # A volume whose key could not be used ends in state "error" (sources: snapshot-copy-key).
    plain_status = Volume.status

    @property
    def status(self) -> str:
        return "error" if getattr(self, "kmslab_error", None) else plain_status.fget(self)

    Volume.status = status
    Snapshot.state_message = None

    def default_encryption_key(self) -> str:
        # moto made a CUSTOMER key named aws/ebs; resolving the alias in KMS creates the
        # real AWS managed key instead (service/managed_keys.py, sources: aws-managed-keys).
        self.default_kms_key_id = keys.backend(self.account_id, self.region_name).describe_key(DEFAULT_ALIAS).arn
        return self.default_kms_key_id

    EBSBackend._create_default_encryption_key = default_encryption_key

    @wrap(EBSBackend, "modify_ebs_default_kms_key_id")
    def modify_default(self, original, kms_key_id):
        arn = original(self, kms_key_id)
        self.kmslab_default_key = arn if kms_key_id else None
        return arn

    @wrap(ElasticBlockStore, "create_volume")
    def create_volume(self, original):
        backend = self.ec2_backend
        snapshot_id = self._get_param("SnapshotId")
        snapshot = backend.snapshots.get(snapshot_id) if snapshot_id else None
        encrypted = (self._get_bool_param("Encrypted", False) or bool(snapshot and snapshot.encrypted)
                     or bool(getattr(backend, "ebs_encryption_by_default", False)))
        result = original(self)
        if encrypted:
            volume = result.result if hasattr(result, "result") else None
            volume = volume if isinstance(volume, Volume) else _newest(backend.volumes)
            key_id = self._get_param("KmsKeyId") or (snapshot.kms_key_id if snapshot is not None else None)
            _seal(self, volume, self.region, key_id, source=snapshot)
        return result

    @wrap(ElasticBlockStore, "create_snapshot")
    def create_snapshot(self, original):
        result = original(self)
        snapshot = _newest(self.ec2_backend.snapshots)
        volume = snapshot.volume
        if volume.encrypted:  # same key and data key as the volume
            snapshot.kms_key_id = volume.kms_key_id
            snapshot.kmslab_edk = getattr(volume, "kmslab_edk", None)
            snapshot.kmslab_context = getattr(volume, "kmslab_context", None)
        return result

    @wrap(ElasticBlockStore, "copy_snapshot")
    def copy_snapshot(self, original):
        source_id, source_region = self._get_param("SourceSnapshotId"), self._get_param("SourceRegion")
        from moto.ec2.models import ec2_backends

        own = ec2_backends[self.current_account][source_region].snapshots.get(source_id)
        source = own or _shared_snapshot(self.current_account, source_region, source_id)
        if source is None:
            raise InvalidSnapshotIdError()
        if own is not None:
            result = original(self)
            copy = _newest(self.ec2_backend.snapshots)
        else:  # shared by another account: moto looks only in the caller's own account
            self.error_on_dryrun()
            copy = Snapshot(self.ec2_backend, random_snapshot_id(), volume=source.volume,
                            description=self._get_param("Description"), encrypted=source.encrypted)
            self.ec2_backend.snapshots[copy.id] = copy
            copy.add_tags(self._parse_tag_specification().get("snapshot", {}))
            result = ActionResult({"SnapshotId": copy.id, "Tags": copy.tag_set})
        copy.kms_key_id = None
        if source.encrypted or self._get_bool_param("Encrypted", False):
            _seal(self, copy, self.region, self._get_param("KmsKeyId"), source=source)
        return result

    @wrap(ElasticBlockStore, "modify_snapshot_attribute")
    def modify_snapshot_attribute(self, original):
        snapshot = self.ec2_backend.get_snapshot(self._get_param("SnapshotId"))
        sharing = self._get_param("OperationType") == "add" and (
            self._get_param("UserIds") or self._get_param("GroupNames"))
        if sharing and snapshot.encrypted and _under_aws_managed_key(snapshot):
            raise EC2ClientError("OperationNotPermitted",
                                 "Encrypted snapshots with EBS default key cannot be shared")
        return original(self)


def _under_aws_managed_key(snapshot) -> bool:
    arn = snapshot.kms_key_id or ""
    if ":key/" not in arn:
        return False
    _, _, _, region, account, resource = arn.split(":", 5)
    key = keys.backend(account, region).keys.get(resource.split("/", 1)[1])
    return key is not None and getattr(key, "key_manager", "CUSTOMER") == "AWS"


def _newest(store: dict):
    return next(reversed(store.values()))


_install()
