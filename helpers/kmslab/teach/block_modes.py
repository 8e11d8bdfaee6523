"""Why modes matter: ECB leaks patterns, and a reused GCM/CTR nonce leaks the XOR of plaintexts.

    from kmslab.teach import block_modes
    image = block_modes.make_logo()
    block_modes.plot_modes(image, key)          # plain | AES-ECB | AES-GCM, side by side

All cryptography is `cryptography`'s own AES; the keys are made by the caller.
Images are made in code (nothing is downloaded).
"""
from __future__ import annotations

import os

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

BLOCK = 16  # AES block size in bytes


def make_logo(size: int = 192) -> np.ndarray:
    """A greyscale logo (uint8, size x size): a key shape and a padlock on flat backgrounds."""
    y, x = np.mgrid[0:size, 0:size] / size
    image = np.full((size, size), 230, dtype=np.uint8)          # light background
    image[y > 0.78] = 60                                         # dark band at the bottom
    ring = (x - 0.3) ** 2 + (y - 0.35) ** 2
    image[(ring < 0.03) & (ring > 0.01)] = 20                    # key bow (a ring)
    image[(abs(y - 0.35) < 0.035) & (x > 0.45) & (x < 0.85)] = 20   # key shaft
    image[(y > 0.35) & (y < 0.47) & (abs(x - 0.75) < 0.025)] = 20   # key bits
    image[(y > 0.35) & (y < 0.5) & (abs(x - 0.83) < 0.025)] = 20
    body = (abs(x - 0.55) < 0.14) & (y > 0.56) & (y < 0.74)
    image[body] = 140                                            # padlock body
    shackle = (x - 0.55) ** 2 + (y - 0.56) ** 2
    image[(shackle < 0.011) & (shackle > 0.005) & (y < 0.56)] = 140
    return image


def encrypt_ecb(image: np.ndarray, key: bytes) -> np.ndarray:
    """AES-ECB of the raw pixels (each 16-byte block on its own), reshaped as an image."""
    data = _padded(image)
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return _as_image(encryptor.update(data) + encryptor.finalize(), image.shape)


def encrypt_gcm(image: np.ndarray, key: bytes, nonce: bytes | None = None) -> np.ndarray:
    """AES-GCM of the raw pixels (tag dropped for display), reshaped as an image."""
    nonce = nonce or os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, image.tobytes(), None)
    return _as_image(sealed[:-16], image.shape)


def block_repeats(data: bytes) -> float:
    """Fraction of 16-byte blocks that repeat an earlier block: a measure of visible pattern."""
    blocks = [data[i:i + BLOCK] for i in range(0, len(data) - len(data) % BLOCK, BLOCK)]
    return 1 - len(set(blocks)) / max(1, len(blocks))


def plot_modes(image: np.ndarray, key: bytes):
    """Figure: the image, its AES-ECB encryption and its AES-GCM encryption, side by side."""
    panels = [("plaintext image", image),
              ("AES-256-ECB: the shape shows through", encrypt_ecb(image, key)),
              ("AES-256-GCM: noise", encrypt_gcm(image, key))]
    return _three_panels(panels)


def _three_panels(panels):
    """Three grey images side by side, each with its title."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 4))
    for ax, (title, pixels) in zip(axes, panels):
        ax.imshow(pixels, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    plt.close(fig)  # shown by the caller (nbval records an auto-displayed figure twice)
    return fig


def xor(a: bytes, b: bytes) -> bytes:
    """Byte-wise XOR of two strings, as long as the shorter one."""
    return bytes(x ^ y for x, y in zip(a, b))


def plot_nonce_reuse(image_a: np.ndarray, image_b: np.ndarray, key: bytes, nonce: bytes):
    """Figure: two images under the same key and nonce; XOR of the ciphertexts = XOR of the images."""
    c_a, c_b = encrypt_gcm(image_a, key, nonce), encrypt_gcm(image_b, key, nonce)
    leaked = np.bitwise_xor(c_a, c_b)
    panels = [("ciphertext A", c_a), ("ciphertext B (same key, same nonce)", c_b),
              ("A xor B: the images show through", leaked)]
    return _three_panels(panels)


def make_stripes(size: int = 192) -> np.ndarray:
    """A second picture (diagonal stripes and a circle) for the nonce-reuse figure."""
    y, x = np.mgrid[0:size, 0:size] / size
    image = np.where(((x + y) * 8).astype(int) % 2 == 0, 200, 90).astype(np.uint8)
    image[(x - 0.5) ** 2 + (y - 0.5) ** 2 < 0.06] = 255
    return image


def _padded(image: np.ndarray) -> bytes:
    data = image.tobytes()
    return data + bytes(-len(data) % BLOCK)


def _as_image(data: bytes, shape: tuple[int, ...]) -> np.ndarray:
    count = int(np.prod(shape))
    return np.frombuffer(data[:count], dtype=np.uint8).reshape(shape)
