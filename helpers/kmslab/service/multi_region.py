"""Multi-Region keys: replicas share key material, and nothing else (sources: multi-region-keys).

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
- UpdatePrimaryRegion (moto: missing; API_UpdatePrimaryRegion,
  https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdatePrimaryRegion.html) makes the
  replica in PrimaryRegion the primary and the old primary a replica. Automatic rotation
  follows the primary. AWS shows both keys as Updating for a few seconds; here the change
  is immediate (listed on the ledger page).
- Each key tracks its own last usage (API_GetKeyLastUsage): a new replica starts with none.
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
    replica.kmslab_rotation = None  # rotation runs on the primary (sources: on-demand-rotation)
    replica.kmslab_last_usage = None
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


@dispatch.operation("UpdatePrimaryRegion")
def update_primary_region(call: dispatch.KmsCall) -> dict:
    key = call.notes["key"]
    region = call.params.get("PrimaryRegion")
    if not region:
        raise KmsError("ValidationException", "1 validation error detected: Value null at "
                       "'primaryRegion' failed to satisfy constraint: Member must not be null")
    if not key.multi_region:
        raise KmsError("UnsupportedOperationException", f"{key.arn} is not a multi-Region key.")
    config = key.multi_region_configuration  # one dict, shared by the primary and its replicas
    if key.arn != config["PrimaryKey"]["Arn"]:
        raise KmsError("UnsupportedOperationException",
                       f"{key.arn} is a replica key; name the current primary key.")
    if region == key.region:
        raise KmsError("ValidationException", f"The primary key is already in {region}.")
    try:
        replica = keys.backend(key.account_id, region).keys.get(key.id)
    except KeyError:  # not a Region of the partition
        replica = None
    if replica is None:
        raise KmsError("NotFoundException",
                       f"Key '{keys.arn_for(key.account_id, region, 'key/' + key.id)}' does not exist")
    if replica.key_state in ("PendingDeletion", "PendingReplicaDeletion"):
        raise KmsError("KMSInvalidStateException", f"{replica.arn} is pending deletion.")
    config["PrimaryKey"] = {"Arn": replica.arn, "Region": region}
    config["ReplicaKeys"] = [r for r in config["ReplicaKeys"] if r["Arn"] != replica.arn] + [
        {"Arn": key.arn, "Region": key.region}]
    replica.kmslab_rotation, key.kmslab_rotation = getattr(key, "kmslab_rotation", None), None
    replica.key_rotation_status = key.key_rotation_status
    return {}


def _describe_key(self, key_id: str):
    # moto marks the shared MultiRegionConfiguration REPLICA whenever a replica is
    # described, which the primary then shows too; the type is computed per key instead.
    return self.keys[self.any_id_to_key_id(key_id)]


def install() -> None:
    from moto.kms.models import KmsBackend

    KmsBackend.describe_key = _describe_key


install()
