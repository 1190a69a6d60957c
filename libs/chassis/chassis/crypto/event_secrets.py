"""Secrets that travel inside events (a password-reset token), sealed end to end.

An event's payload sits in the producer's outbox table and in the broker; a value that
must stay secret there is sealed with ``EVENT_SECRETS_KEY``, a key shared by the
producer and its consumers only, and opened by the consumer that needs it. ``purpose``
binds a sealed value to its use: a value sealed for one purpose does not open for another.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from chassis.crypto.aead import seal, unseal
from chassis.crypto.keys import KEY_BYTES, Keyring, decode_key

_KID = "event"

# What auth seals a password-reset token for, and the worker opens it for.
PASSWORD_RESET_TOKEN_PURPOSE = "auth.password_reset"  # noqa: S105 - a label, not a secret


@lru_cache(maxsize=1)
def _ring() -> Keyring:
    key = decode_key(
        "EVENT_SECRETS_KEY", settings.EVENT_SECRETS_KEY, min_bytes=KEY_BYTES, max_bytes=KEY_BYTES
    )
    return Keyring(keys={_KID: key}, active_kid=_KID)


@receiver(setting_changed)
def _forget_key(*, setting: str, **kwargs: object) -> None:
    if setting == "EVENT_SECRETS_KEY":
        _ring.cache_clear()


def seal_event_secret(plaintext: str, *, purpose: str) -> str:
    return seal(plaintext, associated_data=purpose.encode(), ring=_ring())


def open_event_secret(sealed: str, *, purpose: str) -> str:
    """The plaintext; ``chassis.crypto.aead.DecryptionError`` when it does not open."""
    return unseal(sealed, associated_data=purpose.encode(), ring=_ring())
