"""teach.key_lifecycle: attempt() reports the AWS error code through a real client; the diagram."""
from __future__ import annotations

import pytest

from kmslab import sandbox
from kmslab.teach import key_lifecycle


@pytest.fixture(scope="module")
def kms():
    box = sandbox.start()
    yield box.client("kms")
    box.stop()


def test_attempt_names_the_error_each_state_gives(kms):
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    assert key_lifecycle.attempt(kms.encrypt, KeyId=kid, Plaintext=b"x") == "ok"
    kms.disable_key(KeyId=kid)
    assert key_lifecycle.attempt(kms.encrypt, KeyId=kid, Plaintext=b"x") == "DisabledException"
    kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    assert key_lifecycle.attempt(kms.enable_key, KeyId=kid) == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=kid)
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Disabled"


def test_diagram_shows_every_transition_and_is_closed():
    import matplotlib.pyplot as plt

    fig = key_lifecycle.plot_states()
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for _, _, label, _, _ in key_lifecycle.TRANSITIONS:
        assert label in texts
    for state in key_lifecycle.STATES:
        assert state in texts
    assert fig.number not in plt.get_fignums()
