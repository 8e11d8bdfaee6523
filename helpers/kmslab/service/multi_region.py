"""Multi-Region keys: replicas share key material, and nothing else (kms-facts B2).

- Related multi-Region keys share the same key id and key material, so ciphertext
  made under one decrypts under any other (the blob names the key id; Decrypt looks
  it up in the caller's Region). Here the replica shares the primary's material list,
  so a rotation on the primary reaches every replica.
- Key policy, grants, aliases, tags and enabled state are independent per key; moto's
  shallow copy shared the aliases, grants and MultiRegionConfiguration dicts.
- ReplicateKey needs a multi-Region key and another Region of the partition.
- A new replica is Creating (Enabled false, no description unless one is given) until the
  replication finishes, then Enabled (or PendingImport for imported material): "A multi-Region
  replica key is in the transient Creating key state while it is being created. This process
  might still be in progress when the ReplicateKey operation completes."
  https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
  Here it finishes REPLICA_CREATION_SECONDS later on the sandbox clock; a lesson with a frozen
  clock advances it (sb.clock.advance) before it uses the replica.
"""
from __future__ import annotations

import datetime as _dt

from .. import clock
from . import dispatch, keys, rotation, symmetric
from .errors import KmsError

REPLICA_CREATION_SECONDS = 2.0


@dispatch.operation("ReplicateKey")
def replicate_key(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    region = call.params.get("ReplicaRegion")
    if not key.multi_region:
        raise KmsError("UnsupportedOperationException",
                       f"{key.arn} is not a multi-Region key.")
    if key.arn != key.multi_region_configuration["PrimaryKey"]["Arn"]:
        raise KmsError("UnsupportedOperationException", f"{key.arn} is not a multi-region primary key.")
    if region == key.region:
        raise KmsError("ValidationException",
                       f"The replica Region {region} must differ from the primary key's Region.")
    if key.id in keys.backend(key.account_id, region).keys:
        raise KmsError("AlreadyExistsException",
                       f"A replica of {key.arn} already exists in {region}.")
    # Shared by reference with the replica (moto copies the Key shallowly).
    symmetric.materials(key)
    rotation.rotations(key)
    dispatch.moto_operation(call)
    replica = keys.backend(key.account_id, region).keys[key.id]
    replica.aliases, replica.grants = {}, {}
    replica.key_rotation_status = key.key_rotation_status
    replica.kmslab_rotation = None  # rotation runs on the primary (kms-facts F2)
    replica.description = call.params.get("Description") or ""  # not copied from the primary
    replica.key_state, replica.enabled = "Creating", False
    replica.kmslab_ready_at = clock.current().now() + _dt.timedelta(seconds=REPLICA_CREATION_SECONDS)
    if call.params.get("Policy"):
        replica.policy = call.params["Policy"]
    else:
        replica.policy = replica.generate_default_policy()
    if call.params.get("Tags"):
        keys.backend(key.account_id, region).tagger.tag_resource(replica.id, call.params["Tags"])
    return {"ReplicaKeyMetadata": replica.to_dict()["KeyMetadata"], "ReplicaPolicy": replica.policy,
            "ReplicaTags": call.params.get("Tags", [])}


@keys.on_access
def finish_replication(key) -> None:
    """A replica leaves Creating once the sandbox clock passes its ready time."""
    ready = getattr(key, "kmslab_ready_at", None)
    if ready is None or key.key_state != "Creating" or clock.current().now() < ready:
        return
    key.kmslab_ready_at = None
    if key.origin == "EXTERNAL" and not symmetric.current_material(key):
        key.key_state, key.enabled = "PendingImport", False
    else:
        key.key_state, key.enabled = "Enabled", True


def _describe_key(self, key_id: str):
    # moto marks the shared MultiRegionConfiguration REPLICA whenever a replica is
    # described, which the primary then shows too; the type is computed per key instead.
    return self.keys[self.any_id_to_key_id(key_id)]


def install() -> None:
    from moto.kms.models import KmsBackend

    KmsBackend.describe_key = _describe_key


install()
