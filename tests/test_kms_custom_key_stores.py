"""Custom key stores, simulated: the six operations, connection states on the sandbox
clock, keys that work only while their store is connected, and the rules AWS documents."""
from __future__ import annotations

import pytest
from botocore.config import Config

from kmslab.service import custom_key_stores, quotas
from kms_helpers import error_code

@pytest.fixture(autouse=True)
def no_stores_left(sb):
    """The module shares one sandbox; the 10-stores quota would fill up across tests."""
    yield
    custom_key_stores.stores(sb.account_id, sb.region).clear()


NO_RETRIES = Config(retries={"total_max_attempts": 1})  # botocore retries both quota errors
CREDENTIAL = {"AccessKeyId": "ABCDEFGHIJKLMNOPQRST", "RawSecretAccessKey": "A" * 43}
_n = iter(range(1000))


def _cluster_id(n: int) -> str:
    """A cluster id the model's pattern accepts (cluster-[2-7a-zA-Z]{11,16}): no 0, 1, 8 or 9."""
    return "cluster-abcdefghijk" + "".join("abcdefghij"[int(d)] for d in f"{n:03d}")


def cloudhsm_store(kms, name=None) -> str:
    n = next(_n)
    return kms.create_custom_key_store(
        CustomKeyStoreName=name or f"hsm-{n}", CloudHsmClusterId=_cluster_id(n),
        TrustAnchorCertificate="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        KeyStorePassword="kmsPswd1")["CustomKeyStoreId"]


def external_store(kms, name=None, **overrides) -> str:
    n = next(_n)
    params = dict(CustomKeyStoreName=name or f"xks-{n}", CustomKeyStoreType="EXTERNAL_KEY_STORE",
                  XksProxyUriEndpoint=f"https://xks{n}.example.com", XksProxyUriPath="/kms/xks/v1",
                  XksProxyConnectivity="PUBLIC_ENDPOINT", XksProxyAuthenticationCredential=CREDENTIAL)
    params.update(overrides)
    return kms.create_custom_key_store(**params)["CustomKeyStoreId"]


def state(kms, store_id) -> str:
    return kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"][0]["ConnectionState"]


def connect(kms, sb, store_id) -> None:
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    sb.clock.advance(custom_key_stores.CONNECT_SECONDS)


def disconnect(kms, sb, store_id) -> None:
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    sb.clock.advance(custom_key_stores.DISCONNECT_SECONDS)


def test_a_cloudhsm_store_connects_on_the_sandbox_clock(kms, sb):
    store = cloudhsm_store(kms, "ExampleKeyStore")
    entry = kms.describe_custom_key_stores(CustomKeyStoreName="ExampleKeyStore")["CustomKeyStores"][0]
    assert entry["CustomKeyStoreId"] == store and store.startswith("cks-") and len(store) == 21
    assert entry["CustomKeyStoreType"] == "AWS_CLOUDHSM"
    assert entry["ConnectionState"] == "DISCONNECTED" and "ConnectionErrorCode" not in entry
    assert entry["CloudHsmClusterId"].startswith("cluster-") and "KeyStorePassword" not in entry
    answer = kms.connect_custom_key_store(CustomKeyStoreId=store)
    assert set(answer) == {"ResponseMetadata"}  # a JSON object with no properties
    assert state(kms, store) == "CONNECTING"  # ConnectCustomKeyStore does not wait
    sb.clock.advance(custom_key_stores.CONNECT_SECONDS)
    assert state(kms, store) == "CONNECTED"
    kms.disconnect_custom_key_store(CustomKeyStoreId=store)
    assert state(kms, store) == "DISCONNECTING"
    sb.clock.advance(custom_key_stores.DISCONNECT_SECONDS)
    assert state(kms, store) == "DISCONNECTED"


def test_connection_state_rules(kms, sb):
    store = cloudhsm_store(kms)
    assert error_code(kms.disconnect_custom_key_store, CustomKeyStoreId=store)[0] == \
        "CustomKeyStoreInvalidStateException"  # already DISCONNECTED
    connect(kms, sb, store)
    kms.connect_custom_key_store(CustomKeyStoreId=store)  # connecting a connected store is fine
    kms.disconnect_custom_key_store(CustomKeyStoreId=store)
    for call in (kms.connect_custom_key_store, kms.disconnect_custom_key_store):
        assert error_code(call, CustomKeyStoreId=store)[0] == "CustomKeyStoreInvalidStateException"


def test_a_failed_connection_reports_its_cause_and_must_be_disconnected_first(kms, sb):
    store = external_store(kms)
    custom_key_stores.fail_next_connection(store, "XKS_PROXY_NOT_REACHABLE")
    connect(kms, sb, store)
    entry = kms.describe_custom_key_stores(CustomKeyStoreId=store)["CustomKeyStores"][0]
    assert (entry["ConnectionState"], entry["ConnectionErrorCode"]) == ("FAILED", "XKS_PROXY_NOT_REACHABLE")
    assert error_code(kms.connect_custom_key_store, CustomKeyStoreId=store)[0] == \
        "CustomKeyStoreInvalidStateException"
    disconnect(kms, sb, store)
    connect(kms, sb, store)
    assert state(kms, store) == "CONNECTED"


def test_keys_in_a_store_work_only_while_it_is_connected(kms, sb):
    store = cloudhsm_store(kms)
    code, _ = error_code(kms.create_key, Origin="AWS_CLOUDHSM", CustomKeyStoreId=store)
    assert code == "CustomKeyStoreInvalidStateException"
    connect(kms, sb, store)
    meta = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store)["KeyMetadata"]
    assert (meta["Origin"], meta["CustomKeyStoreId"], meta["KeyState"]) == ("AWS_CLOUDHSM", store, "Enabled")
    assert meta["CloudHsmClusterId"].startswith("cluster-")
    key = meta["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"in the HSM")["CiphertextBlob"]
    kms.disconnect_custom_key_store(CustomKeyStoreId=store)
    described = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert (described["KeyState"], described["Enabled"]) == ("Unavailable", False)
    assert error_code(kms.decrypt, CiphertextBlob=blob)[0] == "KMSInvalidStateException"
    assert error_code(kms.generate_data_key, KeyId=key, KeySpec="AES_256")[0] == "KMSInvalidStateException"
    kms.disable_key(KeyId=key)  # takes effect when the key is available again
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Unavailable"
    sb.clock.advance(custom_key_stores.DISCONNECT_SECONDS)
    connect(kms, sb, store)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=key)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"in the HSM"


def test_a_key_pending_deletion_stays_so_while_its_store_is_disconnected(kms, sb):
    store = cloudhsm_store(kms)
    connect(kms, sb, store)
    key = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store)["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    disconnect(kms, sb, store)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=key)  # allowed without reconnecting
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Unavailable"


def test_only_single_region_symmetric_keys_live_in_a_store(kms, sb):
    store = cloudhsm_store(kms)
    connect(kms, sb, store)
    for extra in ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"},
                  {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, {"MultiRegion": True}):
        assert error_code(kms.create_key, Origin="AWS_CLOUDHSM", CustomKeyStoreId=store,
                          **extra)[0] == "UnsupportedOperationException"
    assert error_code(kms.create_key, Origin="AWS_CLOUDHSM")[0] == "ValidationException"
    assert error_code(kms.create_key, Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store,
                      XksKeyId="k")[0] == "ValidationException"
    assert error_code(kms.create_key, Origin="AWS_CLOUDHSM",
                      CustomKeyStoreId="cks-00000000000000000")[0] == "CustomKeyStoreNotFoundException"


def test_keys_in_a_store_do_not_rotate_import_or_make_key_pairs(kms, sb):
    store = cloudhsm_store(kms)
    connect(kms, sb, store)
    key = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store)["KeyMetadata"]["KeyId"]
    for call, kwargs in ((kms.enable_key_rotation, {}), (kms.rotate_key_on_demand, {}),
                         (kms.get_parameters_for_import, {"WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                                          "WrappingKeySpec": "RSA_2048"}),
                         (kms.generate_data_key_pair, {"KeyPairSpec": "ECC_NIST_P256"})):
        assert error_code(call, KeyId=key, **kwargs)[0] == "UnsupportedOperationException", call


def test_external_key_store_keys_name_their_external_key(kms, sb):
    store = external_store(kms)
    entry = kms.describe_custom_key_stores(CustomKeyStoreId=store)["CustomKeyStores"][0]
    assert entry["XksProxyConfiguration"] == {"Connectivity": "PUBLIC_ENDPOINT",
                                              "AccessKeyId": CREDENTIAL["AccessKeyId"],
                                              "UriEndpoint": entry["XksProxyConfiguration"]["UriEndpoint"],
                                              "UriPath": "/kms/xks/v1"}
    assert "CloudHsmClusterId" not in entry
    connect(kms, sb, store)
    assert error_code(kms.create_key, Origin="EXTERNAL_KEY_STORE",
                      CustomKeyStoreId=store)[0] == "ValidationException"  # XksKeyId is required
    meta = kms.create_key(Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store, XksKeyId="bb8562717f809024")
    assert meta["KeyMetadata"]["XksKeyConfiguration"] == {"Id": "bb8562717f809024"}
    assert error_code(kms.create_key, Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store,
                      XksKeyId="bb8562717f809024")[0] == "XksKeyAlreadyInUseException"
    assert error_code(kms.generate_random, NumberOfBytes=8,
                      CustomKeyStoreId=store)[0] == "UnsupportedOperationException"


def test_create_needs_the_parameters_of_its_type_and_unique_values(kms):
    assert error_code(kms.create_custom_key_store, CustomKeyStoreName="incomplete",
                      CloudHsmClusterId="cluster-abcdefghijk")[0] == "ValidationException"
    assert error_code(external_store, kms, XksProxyConnectivity="VPC_ENDPOINT_SERVICE")[0] == \
        "ValidationException"  # needs XksProxyVpcEndpointServiceName
    cloudhsm_store(kms, "taken")
    assert error_code(cloudhsm_store, kms, "taken")[0] == "CustomKeyStoreNameInUseException"
    first = external_store(kms)
    endpoint = kms.describe_custom_key_stores(CustomKeyStoreId=first)["CustomKeyStores"][0][
        "XksProxyConfiguration"]["UriEndpoint"]
    assert error_code(external_store, kms, XksProxyUriEndpoint=endpoint)[0] == "XksProxyUriInUseException"


def test_update_rules_follow_the_connection_state(kms, sb):
    store = external_store(kms)
    connect(kms, sb, store)
    kms.update_custom_key_store(CustomKeyStoreId=store, NewCustomKeyStoreName="renamed-while-connected")
    kms.update_custom_key_store(CustomKeyStoreId=store, XksProxyUriPath="/example/kms/xks/v1")
    assert error_code(kms.update_custom_key_store, CustomKeyStoreId=store,
                      XksProxyUriEndpoint="https://elsewhere.example.com")[0] == "CustomKeyStoreInvalidStateException"
    assert error_code(kms.update_custom_key_store, CustomKeyStoreId=store,
                      KeyStorePassword="kmsPswd2")[0] == "ValidationException"  # a CloudHSM parameter
    disconnect(kms, sb, store)
    kms.update_custom_key_store(CustomKeyStoreId=store, XksProxyUriEndpoint="https://elsewhere.example.com")
    proxy = kms.describe_custom_key_stores(CustomKeyStoreId=store)["CustomKeyStores"][0]["XksProxyConfiguration"]
    assert (proxy["UriEndpoint"], proxy["UriPath"]) == ("https://elsewhere.example.com", "/example/kms/xks/v1")


def test_delete_needs_a_disconnected_empty_store(kms, sb):
    store = cloudhsm_store(kms)
    connect(kms, sb, store)
    key = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store)["KeyMetadata"]["KeyId"]
    assert error_code(kms.delete_custom_key_store, CustomKeyStoreId=store)[0] == \
        "CustomKeyStoreInvalidStateException"
    disconnect(kms, sb, store)
    assert error_code(kms.delete_custom_key_store, CustomKeyStoreId=store)[0] == "CustomKeyStoreHasCMKsException"
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    sb.clock.advance(7 * 86400)
    kms.delete_custom_key_store(CustomKeyStoreId=store)
    assert error_code(kms.describe_custom_key_stores, CustomKeyStoreId=store)[0] == \
        "CustomKeyStoreNotFoundException"


def test_generate_random_in_a_cloudhsm_store_needs_it_connected(kms, sb):
    store = cloudhsm_store(kms)
    assert error_code(kms.generate_random, NumberOfBytes=8,
                      CustomKeyStoreId=store)[0] == "CustomKeyStoreInvalidStateException"
    connect(kms, sb, store)
    assert len(kms.generate_random(NumberOfBytes=8, CustomKeyStoreId=store)["Plaintext"]) == 8


def test_each_store_has_its_own_request_quota(sb):
    kms = sb.client("kms", config=NO_RETRIES)
    store = cloudhsm_store(kms)
    connect(kms, sb, store)
    in_store = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store)["KeyMetadata"]["KeyId"]
    plain = kms.create_key()["KeyMetadata"]["KeyId"]
    assert quotas.rate(f"CustomKeyStore:{store}") == 1800
    quotas.configure(overrides={f"CustomKeyStore:{store}": 2})
    try:
        for _ in range(2):
            kms.encrypt(KeyId=in_store, Plaintext=b"x")
        assert error_code(kms.encrypt, KeyId=in_store, Plaintext=b"x")[0] == "ThrottlingException"
        kms.encrypt(KeyId=plain, Plaintext=b"x")  # the account's symmetric quota is not used up
    finally:
        quotas.reset()


def test_ten_stores_per_region(sb):
    kms = sb.client("kms", region="ap-south-1", config=NO_RETRIES)  # stores count per Region
    for _ in range(custom_key_stores.MAX_STORES):
        cloudhsm_store(kms)
    assert error_code(cloudhsm_store, kms)[0] == "LimitExceededException"
    assert len(sb.client("kms", region="eu-west-3").describe_custom_key_stores()["CustomKeyStores"]) == 0


def test_reset_wipes_the_stores(sb, kms):
    """Each test here makes its own stores and keys, so starting over harms none of them."""
    cloudhsm_store(kms)
    sb.reset()
    assert kms.describe_custom_key_stores()["CustomKeyStores"] == []
