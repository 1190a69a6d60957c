from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chassis.crypto.event_secrets import PASSWORD_RESET_TOKEN_PURPOSE, seal_event_secret
from chassis.events import Envelope
from chassis.testing.events import make_envelope
from tests.mail_sink import MailSink

# Tests that touch the notification log reach it through its own connection as well.
DATABASES = ["default", "notification_log"]

RESET_TOKEN = "rT0k3n-single-use_" + "x" * 24


@pytest.fixture
def sink(tmp_path: Path, settings: Any) -> Iterator[MailSink]:
    """A real SMTP server the in-process email backend sends to."""
    server = MailSink(tmp_path / "mail")
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


def envelope(event_type: str, payload: dict[str, Any], *, aggregate_id: str = "") -> Envelope:
    return make_envelope(event_type, payload, producer="auth", aggregate_id=aggregate_id or None)


def person(**overrides: Any) -> dict[str, Any]:
    user_id = str(uuid.uuid4())
    return {
        "user_id": user_id,
        "email": f"{user_id[:8]}@example.com",
        "name": "Ada Lovelace",
        **overrides,
    }


def registered(**overrides: Any) -> Envelope:
    return envelope("auth.user_registered", person(**overrides))


def password_changed(**overrides: Any) -> Envelope:
    return envelope("auth.password_changed", person(**overrides))


def reset_requested(
    *, token: str = RESET_TOKEN, expires_in: timedelta = timedelta(hours=1), **overrides: Any
) -> Envelope:
    payload = {
        **person(),
        "reset_token_sealed": seal_event_secret(token, purpose=PASSWORD_RESET_TOKEN_PURPOSE),
        "expires_at": (datetime.now(UTC) + expires_in).isoformat(),
        **overrides,
    }
    return envelope("auth.password_reset_requested", payload)
