"""The events chat consumes, run through chassis.events' consume() (inbox included)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from chassis.events import Envelope
from chassis.events.consuming import consume
from chassis.testing.events import make_envelope
from chat_service.rooms.directory import sender_name
from chat_service.rooms.handlers import _unix_time

pytestmark = pytest.mark.django_db(transaction=True)


def envelope(event_type: str, payload: dict) -> Envelope:
    return make_envelope(event_type, payload, producer="users")


def test_a_rename_forgets_the_cached_name(user_directory):
    user_id = str(uuid.uuid4())
    user_directory.names[user_id] = "Old"
    assert sender_name(user_id=user_id) == "Old"
    user_directory.names[user_id] = "New"
    assert sender_name(user_id=user_id) == "Old"  # cached
    consume(
        envelope("users.user_updated", {"user_id": user_id, "name": "New", "changed": ["name"]})
    )
    assert sender_name(user_id=user_id) == "New"


def test_a_phone_change_keeps_the_cached_name(user_directory):
    user_id = str(uuid.uuid4())
    user_directory.names[user_id] = "Same"
    sender_name(user_id=user_id)
    calls = len(user_directory.batch_calls)
    consume(
        envelope("users.user_updated", {"user_id": user_id, "name": "Same", "changed": ["phone"]})
    )
    assert sender_name(user_id=user_id) == "Same"
    assert len(user_directory.batch_calls) == calls


def test_a_redelivered_event_is_handled_once(user_directory):
    user_id = str(uuid.uuid4())
    event = envelope("users.user_updated", {"user_id": user_id, "name": "X", "changed": ["name"]})
    consume(event)
    cache.set(f"sender-name:{user_id}", "Cached again")
    consume(event)  # the inbox skips it: the entry set since stays
    assert sender_name(user_id=user_id) == "Cached again"


def test_names_of_unknown_users_are_none_and_asked_once(user_directory):
    user_id = str(uuid.uuid4())
    assert sender_name(user_id=user_id) is None
    assert sender_name(user_id=user_id) is None
    assert len(user_directory.batch_calls) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_700_000_000, 1_700_000_000.0),
        (1_700_000_000.5, 1_700_000_000.5),
        ("1700000000.5", 1_700_000_000.5),
        ("2023-11-14T22:13:20+00:00", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC).timestamp()),
        ("yesterday", None),
        (None, None),
        (True, None),
    ],
)
def test_revocation_moments_are_read_from_numbers_and_iso_strings(value, expected):
    assert _unix_time(value) == expected
