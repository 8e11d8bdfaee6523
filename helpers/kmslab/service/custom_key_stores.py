"""Custom key stores, simulated: CloudHSM key stores and external key stores (XKS).

AWS (API reference: CreateCustomKeyStore, DescribeCustomKeyStores, ConnectCustomKeyStore,
DisconnectCustomKeyStore, UpdateCustomKeyStore, DeleteCustomKeyStore, CreateKey;
https://docs.aws.amazon.com/kms/latest/developerguide/custom-key-store-overview.html,
https://docs.aws.amazon.com/kms/latest/developerguide/fix-keystore.html,
https://docs.aws.amazon.com/kms/latest/developerguide/xks-troubleshooting.html):
- a new store is DISCONNECTED. ConnectCustomKeyStore answers at once and the store is
  CONNECTING, then CONNECTED (or FAILED, with a ConnectionErrorCode). It refuses a store
  that is DISCONNECTING or FAILED (CustomKeyStoreInvalidStateException); a FAILED store
  must be disconnected first. DisconnectCustomKeyStore: DISCONNECTING, then DISCONNECTED;
  it refuses a store that is already DISCONNECTING or DISCONNECTED;
- UpdateCustomKeyStore needs a DISCONNECTED store, except for the new name (and, for an
  external key store, the proxy credential and URI path), which may also change while
  CONNECTED. DeleteCustomKeyStore needs a DISCONNECTED store with no KMS keys left
  (CustomKeyStoreHasCMKsException);
- keys in a store are symmetric encryption keys only, single-Region, Origin AWS_CLOUDHSM
  or EXTERNAL_KEY_STORE (with an XksKeyId unique in the store), created only while the store
  is CONNECTED. While their store is not connected their key state is Unavailable and
  cryptographic operations fail with KMSInvalidStateException; a key pending deletion stays
  PendingDeletion; on reconnection each key gets back its state, including an EnableKey or
  DisableKey made meanwhile. No automatic or on-demand rotation (rotation.py), no imported
  material (key_import.py), no data key pairs (API_GenerateDataKeyPair);
- at most 10 custom key stores per account and Region (resource quotas, LimitExceededException);
  each store has its own request quota of 1,800 per second (quotas.py);
- GenerateRandom with CustomKeyStoreId needs a connected CloudHSM key store.

Sandbox choices (AWS has no API for these): the CloudHSM cluster and the external key
store proxy are not modelled, so any well-formed cluster id, certificate, password, proxy
endpoint and credential are accepted, and keys use KMS key material only (no double
encryption). Connecting takes CONNECT_SECONDS and disconnecting DISCONNECT_SECONDS of
sandbox time (AWS: "up to 20 minutes" to connect a CloudHSM key store); the changes are
applied when the store or one of its keys is next read, like the other simulations.
`fail_next_connection(store_id, code)` makes the next connection attempt end FAILED.
State lives on moto's KMS backend, so it resets with moto (sandbox.reset()).
"""
from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass, field
from typing import Any

from .. import clock
from . import dispatch, key_metadata, keys, resets, rotation
from .errors import KmsError, validation

CLOUDHSM, EXTERNAL = "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"
ORIGINS = (CLOUDHSM, EXTERNAL)  # the Origin of a key in each store type is the store type
CONNECT_SECONDS = 60.0
DISCONNECT_SECONDS = 10.0
MAX_STORES = 10  # https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html
CONNECTION_ERRORS = {
    CLOUDHSM: ("INVALID_CREDENTIALS", "CLUSTER_NOT_FOUND", "NETWORK_ERRORS", "INTERNAL_ERROR",
               "INSUFFICIENT_CLOUDHSM_HSMS", "USER_LOCKED_OUT", "USER_NOT_FOUND", "USER_LOGGED_IN",
               "SUBNET_NOT_FOUND", "INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET"),
    EXTERNAL: ("INVALID_CREDENTIALS", "NETWORK_ERRORS", "INTERNAL_ERROR", "XKS_PROXY_ACCESS_DENIED",
               "XKS_PROXY_NOT_REACHABLE", "XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND", "XKS_PROXY_INVALID_RESPONSE",
               "XKS_PROXY_INVALID_CONFIGURATION", "XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION",
               "XKS_PROXY_TIMED_OUT", "XKS_PROXY_INVALID_TLS_CONFIGURATION"),
}
_lock = threading.RLock()
_faults: dict[str, str] = {}


@dataclass
class Store:
    id: str
    name: str
    type: str
    created: _dt.datetime
    settings: dict[str, Any] = field(default_factory=dict)  # the type's own parameters
    state: str = "DISCONNECTED"
    error: str | None = None
    until: _dt.datetime | None = None  # when CONNECTING / DISCONNECTING ends
    outcome: str | None = None  # the connection error CONNECTING ends with, if any

    def entry(self) -> dict:
        """A CustomKeyStoresListEntry (botocore KMS model)."""
        out: dict[str, Any] = {"CustomKeyStoreId": self.id, "CustomKeyStoreName": self.name,
                               "ConnectionState": self.state, "CreationDate": rotation.epoch(self.created),
                               "CustomKeyStoreType": self.type}
        if self.error:
            out["ConnectionErrorCode"] = self.error
        s = self.settings
        if self.type == CLOUDHSM:
            out["CloudHsmClusterId"] = s["CloudHsmClusterId"]
            out["TrustAnchorCertificate"] = s["TrustAnchorCertificate"]
        else:
            proxy = {"Connectivity": s["XksProxyConnectivity"],
                     "AccessKeyId": s["XksProxyAuthenticationCredential"]["AccessKeyId"],
                     "UriEndpoint": s["XksProxyUriEndpoint"], "UriPath": s["XksProxyUriPath"]}
            if s["XksProxyConnectivity"] == "VPC_ENDPOINT_SERVICE":
                proxy["VpcEndpointServiceName"] = s.get("XksProxyVpcEndpointServiceName")
                proxy["VpcEndpointServiceOwner"] = s.get("XksProxyVpcEndpointServiceOwner")
            out["XksProxyConfiguration"] = {k: v for k, v in proxy.items() if v}
        return out


# -- state -----------------------------------------------------------------------------

def stores(account_id: str, region: str) -> dict[str, Store]:
    """The Region's stores, kept on moto's KMS backend so that they reset with it."""
    backend = keys.backend(account_id, region)
    found = getattr(backend, "kmslab_custom_key_stores", None)
    if found is None:
        with _lock:
            found = getattr(backend, "kmslab_custom_key_stores", None)
            if found is None:
                found = backend.kmslab_custom_key_stores = {}
    return found


def refresh(store: Store) -> Store:
    """Finish a CONNECTING or DISCONNECTING that the sandbox clock has moved past."""
    with _lock:
        if store.until is not None and clock.current().now() >= store.until:
            if store.state == "CONNECTING":
                store.state, store.error = ("FAILED", store.outcome) if store.outcome else ("CONNECTED", None)
            elif store.state == "DISCONNECTING":
                store.state, store.error = "DISCONNECTED", None
            store.until = store.outcome = None
    return store


def fail_next_connection(store_id: str, code: str = "NETWORK_ERRORS") -> None:
    """Sandbox control: the next ConnectCustomKeyStore of `store_id` ends FAILED with `code`."""
    with _lock:
        _faults[store_id] = code


@resets.on_reset
def _clear_faults() -> None:
    with _lock:
        _faults.clear()


def _find(call: dispatch.KmsCall, store_id: str | None = None, name: str | None = None) -> Store:
    found = stores(call.account_id, call.region)
    store = found.get(store_id) if store_id else next((s for s in found.values() if s.name == name), None)
    if store is None:
        raise KmsError("CustomKeyStoreNotFoundException",
                       f"Custom key store {store_id or name} does not exist in this account and Region.")
    return refresh(store)


def _required(call: dispatch.KmsCall, name: str) -> Any:
    value = call.params.get(name)
    if value in (None, "", {}):
        field_name = name[0].lower() + name[1:]
        raise validation(f"1 validation error detected: Value null at '{field_name}' failed to "
                         "satisfy constraint: Member must not be null")
    return value


def _invalid_state(store: Store, operation: str) -> KmsError:
    return KmsError("CustomKeyStoreInvalidStateException",
                    f"{operation} is not valid for custom key store {store.id} while its "
                    f"ConnectionState is {store.state}.")


def store_of(key: Any) -> Store | None:
    store_id = getattr(key, "kmslab_key_store_id", None)
    if store_id is None:
        return None
    store = stores(key.account_id, key.region).get(store_id)
    return refresh(store) if store is not None else None


# -- the six operations ------------------------------------------------------------------

_CLOUDHSM_PARAMS = ("CloudHsmClusterId", "TrustAnchorCertificate", "KeyStorePassword")
_XKS_PARAMS = ("XksProxyUriEndpoint", "XksProxyUriPath", "XksProxyAuthenticationCredential",
               "XksProxyConnectivity")
_XKS_OPTIONAL = ("XksProxyVpcEndpointServiceName", "XksProxyVpcEndpointServiceOwner")


def _only_for(call: dispatch.KmsCall, store_type: str, names: tuple[str, ...]) -> None:
    for name in names:
        if call.params.get(name) is not None:
            raise validation(f"{name} is valid only for custom key stores with a CustomKeyStoreType "
                             f"of {store_type}.")


def _check_unique(call: dispatch.KmsCall, store: Store, settings: dict[str, Any]) -> None:
    """The uniqueness rules of CreateCustomKeyStore / UpdateCustomKeyStore."""
    others = [s for s in stores(call.account_id, call.region).values() if s.id != store.id]
    if any(s.name == store.name for s in others):
        raise KmsError("CustomKeyStoreNameInUseException",
                       f"Custom key store name {store.name} is already in use in this account and Region.")
    if store.type == CLOUDHSM:
        if any(s.type == CLOUDHSM and s.settings["CloudHsmClusterId"] == settings["CloudHsmClusterId"]
               for s in others):
            raise KmsError("CloudHsmClusterInUseException",
                           f"CloudHSM cluster {settings['CloudHsmClusterId']} is already associated with "
                           "a custom key store in this account.")
        return
    xks = [s for s in others if s.type == EXTERNAL]
    endpoint, path = settings["XksProxyUriEndpoint"], settings["XksProxyUriPath"]
    if any(s.settings["XksProxyUriEndpoint"] == endpoint and s.settings["XksProxyUriPath"] == path for s in xks):
        raise KmsError("XksProxyUriInUseException",
                       f"{endpoint}{path} is already associated with another external key store.")
    if any(s.settings["XksProxyUriEndpoint"] == endpoint
           and (s.settings["XksProxyConnectivity"] != settings["XksProxyConnectivity"]
                or settings["XksProxyConnectivity"] == "VPC_ENDPOINT_SERVICE") for s in xks):
        raise KmsError("XksProxyUriEndpointInUseException",
                       f"{endpoint} is already associated with another external key store.")
    service = settings.get("XksProxyVpcEndpointServiceName")
    if service and any(s.settings.get("XksProxyVpcEndpointServiceName") == service for s in xks):
        raise KmsError("XksProxyVpcEndpointServiceInUseException",
                       f"VPC endpoint service {service} is already associated with another external key store.")


def _xks_settings(call: dispatch.KmsCall, base: dict[str, Any]) -> dict[str, Any]:
    settings = dict(base)
    for name in (*_XKS_PARAMS, *_XKS_OPTIONAL):
        if call.params.get(name) is not None:
            settings[name] = call.params[name]
    credential = settings.get("XksProxyAuthenticationCredential") or {}
    if not credential.get("AccessKeyId") or not credential.get("RawSecretAccessKey"):
        raise validation("XksProxyAuthenticationCredential needs both AccessKeyId and RawSecretAccessKey.")
    if settings.get("XksProxyConnectivity") == "VPC_ENDPOINT_SERVICE":
        if not settings.get("XksProxyVpcEndpointServiceName"):
            raise validation("XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is "
                             "VPC_ENDPOINT_SERVICE.")
        settings.setdefault("XksProxyVpcEndpointServiceOwner", call.account_id)
    else:
        settings.pop("XksProxyVpcEndpointServiceName", None)
        settings.pop("XksProxyVpcEndpointServiceOwner", None)
    return settings


@dispatch.operation("CreateCustomKeyStore")
def create_custom_key_store(call: dispatch.KmsCall) -> dict:
    from moto.moto_api._internal import mock_random

    name = _required(call, "CustomKeyStoreName")
    store_type = call.params.get("CustomKeyStoreType") or CLOUDHSM
    if store_type == CLOUDHSM:
        _only_for(call, EXTERNAL, (*_XKS_PARAMS, *_XKS_OPTIONAL))
        settings = {n: _required(call, n) for n in _CLOUDHSM_PARAMS}
    else:
        _only_for(call, CLOUDHSM, _CLOUDHSM_PARAMS)
        for n in _XKS_PARAMS:
            _required(call, n)
        settings = _xks_settings(call, {})
    with _lock:
        found = stores(call.account_id, call.region)
        store = Store("cks-" + mock_random.get_random_hex(17), name, store_type, clock.current().now(), settings)
        _check_unique(call, store, settings)
        if len(found) >= MAX_STORES:
            raise KmsError("LimitExceededException",
                           f"This account and Region already have {MAX_STORES} custom key stores.")
        found[store.id] = store
    return {"CustomKeyStoreId": store.id}


@dispatch.operation("DescribeCustomKeyStores")
def describe_custom_key_stores(call: dispatch.KmsCall) -> dict:
    store_id, name = call.params.get("CustomKeyStoreId"), call.params.get("CustomKeyStoreName")
    if store_id and name:
        raise validation("Specify either CustomKeyStoreId or CustomKeyStoreName, not both.")
    if store_id or name:
        listed = [_find(call, store_id, name)]
    else:
        listed = [refresh(s) for s in stores(call.account_id, call.region).values()]
    entries = [s.entry() for s in listed]
    marker = call.params.get("Marker")
    if marker is not None and (not str(marker).isdigit() or int(marker) > len(entries)):
        raise KmsError("InvalidMarkerException", "The marker is not valid.")
    start, limit = int(marker or 0), int(call.params.get("Limit") or 1000)
    result = {"CustomKeyStores": entries[start:start + limit], "Truncated": start + limit < len(entries)}
    if result["Truncated"]:
        result["NextMarker"] = str(start + limit)
    return result


@dispatch.operation("ConnectCustomKeyStore")
def connect_custom_key_store(call: dispatch.KmsCall) -> dict:
    store = _find(call, _required(call, "CustomKeyStoreId"))
    with _lock:
        if store.state in ("DISCONNECTING", "FAILED"):
            raise _invalid_state(store, "ConnectCustomKeyStore")
        if store.state == "DISCONNECTED":
            store.state, store.error = "CONNECTING", None
            store.until = clock.current().now() + _dt.timedelta(seconds=CONNECT_SECONDS)
            store.outcome = _faults.pop(store.id, None)
    return {}


@dispatch.operation("DisconnectCustomKeyStore")
def disconnect_custom_key_store(call: dispatch.KmsCall) -> dict:
    store = _find(call, _required(call, "CustomKeyStoreId"))
    with _lock:
        if store.state in ("DISCONNECTING", "DISCONNECTED"):
            raise _invalid_state(store, "DisconnectCustomKeyStore")
        store.state, store.outcome = "DISCONNECTING", None
        store.until = clock.current().now() + _dt.timedelta(seconds=DISCONNECT_SECONDS)
    return {}


#: What UpdateCustomKeyStore may change while the store is CONNECTED (API_UpdateCustomKeyStore).
_WHILE_CONNECTED = {CLOUDHSM: ("NewCustomKeyStoreName",),
                    EXTERNAL: ("NewCustomKeyStoreName", "XksProxyAuthenticationCredential", "XksProxyUriPath")}


@dispatch.operation("UpdateCustomKeyStore")
def update_custom_key_store(call: dispatch.KmsCall) -> dict:
    store = _find(call, _required(call, "CustomKeyStoreId"))
    if store.type == CLOUDHSM:
        _only_for(call, EXTERNAL, (*_XKS_PARAMS, *_XKS_OPTIONAL))
    else:
        _only_for(call, CLOUDHSM, _CLOUDHSM_PARAMS)
    changing = [n for n in call.params if n != "CustomKeyStoreId" and call.params[n] is not None]
    with _lock:
        allowed = _WHILE_CONNECTED[store.type] if store.state == "CONNECTED" else ()
        if store.state != "DISCONNECTED" and any(n not in allowed for n in changing):
            raise _invalid_state(store, "UpdateCustomKeyStore")
        if store.type == CLOUDHSM:
            settings = {**store.settings, **{n: call.params[n] for n in _CLOUDHSM_PARAMS if n in changing}}
        else:
            settings = _xks_settings(call, store.settings)
        name = call.params.get("NewCustomKeyStoreName") or store.name
        candidate = Store(store.id, name, store.type, store.created, settings)
        _check_unique(call, candidate, settings)
        store.name, store.settings = name, settings
    return {}


@dispatch.operation("DeleteCustomKeyStore")
def delete_custom_key_store(call: dispatch.KmsCall) -> dict:
    store = _find(call, _required(call, "CustomKeyStoreId"))
    keys.sweep(call.account_id, call.region)  # keys whose deletion date has passed are gone
    with _lock:
        if store.state != "DISCONNECTED":
            raise _invalid_state(store, "DeleteCustomKeyStore")
        backend = keys.backend(call.account_id, call.region)
        if any(getattr(k, "kmslab_key_store_id", None) == store.id for k in backend.keys.values()):
            raise KmsError("CustomKeyStoreHasCMKsException",
                           f"Custom key store {store.id} contains KMS keys. Delete them first.")
        del stores(call.account_id, call.region)[store.id]
    return {}


# -- keys in a custom key store -----------------------------------------------------------

def _unsupported(message: str) -> KmsError:
    return KmsError("UnsupportedOperationException", message)


@dispatch.before(dispatch.VALIDATE, "custom-key-store-keys")
def check_requests(call: dispatch.KmsCall) -> None:
    op = call.operation
    if op == "CreateKey":
        _check_create_key(call)
    elif op == "GenerateRandom" and call.params.get("CustomKeyStoreId"):
        store = _find(call, call.params["CustomKeyStoreId"])
        if store.type != CLOUDHSM:
            raise _unsupported("GenerateRandom does not accept the ID of an external key store.")
        if store.state != "CONNECTED":
            raise _invalid_state(store, "GenerateRandom")
    elif op in ("GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"):
        key = call.notes.get("key")
        if key is not None and getattr(key, "kmslab_key_store_id", None):
            raise _unsupported(f"{key.arn} is in a custom key store, which {op} does not support.")


def _check_create_key(call: dispatch.KmsCall) -> None:
    p = call.params
    origin, store_id, xks_key = p.get("Origin"), p.get("CustomKeyStoreId"), p.get("XksKeyId")
    if origin not in ORIGINS and not store_id:
        if xks_key is not None:
            raise validation("XksKeyId is valid only for KMS keys with Origin EXTERNAL_KEY_STORE.")
        return
    if not store_id:
        raise validation(f"CustomKeyStoreId is required when Origin is {origin}.")
    store = _find(call, store_id)
    if origin != store.type:
        raise validation(f"Origin must be {store.type} for a KMS key in custom key store {store.id}.")
    spec = p.get("KeySpec") or p.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if spec != "SYMMETRIC_DEFAULT" or (p.get("KeyUsage") or "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        raise _unsupported("A custom key store holds only symmetric encryption KMS keys.")
    if p.get("MultiRegion"):
        raise _unsupported("You cannot create a multi-Region key in a custom key store.")
    if store.state != "CONNECTED":
        raise _invalid_state(store, "CreateKey")
    if store.type == EXTERNAL:
        if not xks_key:
            raise validation("XksKeyId is required for a KMS key with Origin EXTERNAL_KEY_STORE.")
        backend = keys.backend(call.account_id, call.region)
        if any(getattr(k, "kmslab_key_store_id", None) == store.id and getattr(k, "kmslab_xks_key_id", None) == xks_key
               for k in backend.keys.values()):
            raise KmsError("XksKeyAlreadyInUseException",
                           f"External key {xks_key} is already associated with a KMS key in {store.id}.")
    elif xks_key is not None:
        raise validation("XksKeyId is valid only for KMS keys with Origin EXTERNAL_KEY_STORE.")


@keys.on_create
def place_in_store(key: Any, call: dispatch.KmsCall) -> None:
    store_id = call.params.get("CustomKeyStoreId")
    if store_id and key.origin in ORIGINS:
        key.kmslab_key_store_id = store_id
        key.kmslab_xks_key_id = call.params.get("XksKeyId")


@keys.on_access
def follow_the_store(key: Any) -> None:
    """Unavailable while the store is not connected; the previous state comes back after."""
    store = store_of(key)
    if store is None:
        return
    if store.state != "CONNECTED":
        if key.key_state in ("Enabled", "Disabled"):  # EnableKey/DisableKey meanwhile land here too
            key.kmslab_state_when_connected = key.key_state
            key.key_state, key.enabled = "Unavailable", False
    elif key.key_state == "Unavailable":
        state = getattr(key, "kmslab_state_when_connected", "Enabled")
        key.key_state, key.enabled = state, state == "Enabled"


@key_metadata.contributes
def describe_store(key: Any, meta: dict) -> None:
    store = store_of(key)
    if store is None:
        return
    meta["CustomKeyStoreId"] = store.id
    if store.type == CLOUDHSM:
        meta["CloudHsmClusterId"] = store.settings["CloudHsmClusterId"]
    elif getattr(key, "kmslab_xks_key_id", None):
        meta["XksKeyConfiguration"] = {"Id": key.kmslab_xks_key_id}
