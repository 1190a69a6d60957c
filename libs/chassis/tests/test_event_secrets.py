"""Secrets sealed into events open only for their purpose and under the shared key."""

from __future__ import annotations

import base64
import os

import pytest

from chassis.crypto.aead import DecryptionError
from chassis.crypto.event_secrets import open_event_secret, seal_event_secret


def test_round_trip_and_no_plaintext():
    sealed = seal_event_secret("reset-token-123", purpose="auth.password_reset")
    assert "reset-token-123" not in sealed
    assert open_event_secret(sealed, purpose="auth.password_reset") == "reset-token-123"


def test_a_value_sealed_for_one_purpose_does_not_open_for_another():
    sealed = seal_event_secret("x", purpose="auth.password_reset")
    with pytest.raises(DecryptionError):
        open_event_secret(sealed, purpose="auth.email_verify")


def test_another_key_cannot_open_it(settings):
    sealed = seal_event_secret("x", purpose="p")
    settings.EVENT_SECRETS_KEY = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(DecryptionError):
        open_event_secret(sealed, purpose="p")
