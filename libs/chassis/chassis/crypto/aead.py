"""AES-256-GCM sealing of text, with the key id and a binding to where the value lives.

A sealed value reads ``v1:<kid>:<base64url(nonce || ciphertext || tag)>``. The associated
data names the table, column and row, so a ciphertext copied to another row or column
does not decrypt: it is an error, never silently accepted.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chassis.crypto.keys import Keyring, keyring

VERSION = "v1"
NONCE_BYTES = 12


class DecryptionError(ValueError):
    """A stored value could not be decrypted (wrong row, unknown key, or tampered)."""


def is_sealed(value: str) -> bool:
    return value.startswith(f"{VERSION}:") and value.count(":") >= 2


def key_id_of(sealed: str) -> str:
    if not is_sealed(sealed):
        raise DecryptionError("The value is not a sealed value.")
    return sealed.split(":", 2)[1]


def seal(plaintext: str, *, associated_data: bytes, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    nonce = os.urandom(NONCE_BYTES)
    body = AESGCM(ring.active_key).encrypt(nonce, plaintext.encode(), associated_data)
    encoded = base64.urlsafe_b64encode(nonce + body).decode().rstrip("=")
    return f"{VERSION}:{ring.active_kid}:{encoded}"


def unseal(sealed: str, *, associated_data: bytes, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    kid = key_id_of(sealed)
    key = ring.keys.get(kid)
    if key is None:
        raise DecryptionError(f"The value was sealed with key {kid!r}, which is not configured.")
    encoded = sealed.split(":", 2)[2]
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data)
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError("The value does not decrypt for this row and column.") from exc
    return plain.decode()
