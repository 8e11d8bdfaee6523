"""teach.block_modes: ECB keeps patterns, GCM does not; nonce reuse leaks P1 xor P2."""
from __future__ import annotations

import os

import numpy as np
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kmslab.teach import block_modes

KEY = bytes(range(32))


def test_ecb_keeps_the_image_pattern_and_gcm_hides_it():
    logo = block_modes.make_logo()
    assert logo.shape == (192, 192) and logo.dtype == np.uint8
    plain = block_modes.block_repeats(logo.tobytes())
    assert plain > 0.9
    assert block_modes.block_repeats(block_modes.encrypt_ecb(logo, KEY).tobytes()) == plain
    assert block_modes.block_repeats(block_modes.encrypt_gcm(logo, KEY).tobytes()) == 0


def test_reused_nonce_gives_xor_of_plaintexts():
    nonce = os.urandom(12)
    p1, p2 = b"attack at dawn!!", b"retreat at noon!"
    c1 = AESGCM(KEY).encrypt(nonce, p1, None)[:-16]
    c2 = AESGCM(KEY).encrypt(nonce, p2, None)[:-16]
    assert block_modes.xor(block_modes.xor(c1, c2), p1) == p2
    a, b = block_modes.make_logo(), block_modes.make_stripes()
    leaked = np.bitwise_xor(block_modes.encrypt_gcm(a, KEY, nonce), block_modes.encrypt_gcm(b, KEY, nonce))
    assert np.array_equal(leaked, np.bitwise_xor(a, b))


def test_figures_are_closed():
    import matplotlib.pyplot as plt

    for fig in (block_modes.plot_modes(block_modes.make_logo(), KEY),
                block_modes.plot_nonce_reuse(block_modes.make_logo(), block_modes.make_stripes(), KEY, bytes(12))):
        assert len(fig.axes) == 3 and fig.number not in plt.get_fignums()
