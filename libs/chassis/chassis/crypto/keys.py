"""The field-encryption keyring and the blind-index key, read from settings.

``FIELD_ENCRYPTION_KEYS`` is a JSON object of key id to base64-encoded 32-byte key;
``FIELD_ENCRYPTION_ACTIVE_KEY`` names the one new values are sealed with. Older keys stay
in the ring until ``rotate_encryption_key`` has re-encrypted every value under them.
``BLIND_INDEX_KEY`` (base64, at least 32 bytes) is separate so that an index never
reveals anything about the encryption keys, and survives their rotation.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

KEY_BYTES = 32


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    active_kid: str

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_kid]


def decode_key(name: str, value: str, *, min_bytes: int, max_bytes: int) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} is not valid base64.") from exc
    if not min_bytes <= len(key) <= max_bytes:
        raise ImproperlyConfigured(f"{name} must decode to {min_bytes} bytes or more.")
    return key


def parse_keyring(raw_keys: str, active_kid: str) -> Keyring:
    """Validate and decode the keyring settings; every mistake is a clear error."""
    try:
        encoded = json.loads(raw_keys)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is not a JSON object.") from exc
    if not isinstance(encoded, dict) or not encoded:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must map key ids to keys.")
    keys: dict[str, bytes] = {}
    for kid, value in encoded.items():
        if not kid or ":" in kid:
            raise ImproperlyConfigured(f"Key id {kid!r} must be non-empty and have no ':'.")
        keys[kid] = decode_key(
            f"FIELD_ENCRYPTION_KEYS[{kid}]", str(value), min_bytes=KEY_BYTES, max_bytes=KEY_BYTES
        )
    if active_kid not in keys:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_ACTIVE_KEY {active_kid!r} is not in FIELD_ENCRYPTION_KEYS."
        )
    return Keyring(keys=keys, active_kid=active_kid)


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    return parse_keyring(settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_ENCRYPTION_ACTIVE_KEY)


@lru_cache(maxsize=1)
def blind_index_key() -> bytes:
    return decode_key(
        "BLIND_INDEX_KEY", settings.BLIND_INDEX_KEY, min_bytes=KEY_BYTES, max_bytes=1024
    )


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: object) -> None:
    if setting in {"FIELD_ENCRYPTION_KEYS", "FIELD_ENCRYPTION_ACTIVE_KEY"}:
        keyring.cache_clear()
    elif setting == "BLIND_INDEX_KEY":
        blind_index_key.cache_clear()
