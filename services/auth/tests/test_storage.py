"""What auth's tables hold: hashes and sealed values, never a secret in the clear."""

from __future__ import annotations

import base64
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from auth_service.keys.models import SigningKey
from auth_service.keys.services import signing_key_rotate
from chassis.crypto.aead import DecryptionError
from chassis.crypto.event_secrets import PASSWORD_RESET_TOKEN_PURPOSE, open_event_secret
from chassis.events.models import OutboxEvent
from tests.factories import login

pytestmark = pytest.mark.django_db

PASSWORD = "a rather unusual passphrase 7"


def dump_auth_tables() -> str:
    """Every row of every table in auth's schema, as text, the way a dump would hold it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        text: list[str] = []
        for table in tables:
            cursor.execute(f'SELECT t::text FROM "{table}" AS t')
            text.extend(row[0] for row in cursor.fetchall())
    assert any(table == "strata_events_outboxevent" for table in tables)
    return "\n".join(text)


def test_no_secret_is_stored_in_the_clear(account):
    member = account(password=PASSWORD)
    client = APIClient()
    tokens = login(client, member, password=PASSWORD).json()
    refreshed = client.post(
        "/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    ).json()
    client.post("/api/v1/auth/password/reset", {"email": member.email}, format="json")
    event = OutboxEvent.objects.get(event_type="auth.password_reset_requested")
    reset_token = open_event_secret(
        event.payload["reset_token_sealed"], purpose=PASSWORD_RESET_TOKEN_PURPOSE
    )
    private_key = SigningKey.objects.get().private_key

    dump = dump_auth_tables()
    for secret in (
        PASSWORD,
        tokens["refresh_token"],
        refreshed["refresh_token"],
        tokens["access_token"],
        reset_token,
        private_key,
        "PRIVATE KEY",
    ):
        assert secret not in dump
    # What is there instead: an Argon2id hash and a sealed key.
    assert "argon2$argon2id$" in dump
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM keys_signingkey")
        (stored,) = cursor.fetchone()
    assert stored.startswith("v1:")


def test_a_sealed_private_key_does_not_open_in_another_row(account):
    login(APIClient(), account())
    first = SigningKey.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM keys_signingkey")
        (sealed,) = cursor.fetchone()
    second = signing_key_rotate()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE keys_signingkey SET private_key = %s WHERE id = %s", [sealed, second.id]
        )
    with pytest.raises(DecryptionError):
        _ = SigningKey.objects.get(pk=second.pk).private_key
    assert SigningKey.objects.get(pk=first.pk).private_key.startswith("-----BEGIN PRIVATE KEY")


def test_signing_keys_follow_an_encryption_key_rotation(account, settings):
    login(APIClient(), account())
    pem = SigningKey.objects.get().private_key
    settings.FIELD_ENCRYPTION_KEYS = json.dumps(
        {**json.loads(settings.FIELD_ENCRYPTION_KEYS), "k2": base64.b64encode(b"k" * 32).decode()}
    )
    settings.FIELD_ENCRYPTION_ACTIVE_KEY = "k2"
    call_command("rotate_encryption_key", stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM keys_signingkey")
        (stored,) = cursor.fetchone()
    assert stored.startswith("v1:k2:")
    assert SigningKey.objects.get().private_key == pem
