"""auth's consumers of users' events, run through the chassis consume path."""

from __future__ import annotations

import time
import uuid

import pytest
from rest_framework.test import APIClient

from auth_service.accounts.models import RefreshSession
from chassis.auth.revocation import revoked_before
from chassis.events.consuming import consume
from chassis.events.models import OutboxEvent, ProcessedEvent
from chassis.events.registry import subscribed_types
from chassis.testing.events import make_envelope
from tests.factories import login

pytestmark = pytest.mark.django_db


def envelope(event_type, **payload):
    return make_envelope(event_type, payload, producer="users")


def test_auth_subscribes_to_what_the_catalogue_routes_to_it(settings):
    routed = sorted(t for t, queues in settings.EVENT_ROUTES.items() if "auth" in queues)
    assert subscribed_types() == routed == ["users.role_changed", "users.user_deactivated"]


@pytest.mark.parametrize(
    ("event_type", "payload", "reason"),
    [
        ("users.user_deactivated", {}, "user_deactivated"),
        ("users.role_changed", {"role": "moderator", "previous_role": "user"}, "role_changed"),
    ],
)
def test_users_events_end_every_session_once(account, event_type, payload, reason):
    member = account()
    for _ in range(2):
        login(APIClient(), member)
    event = envelope(event_type, user_id=str(member.id), **payload)
    before = time.time()

    assert consume(event) == []
    assert not RefreshSession.objects.filter(revoked_at__isnull=True).exists()
    marker = revoked_before(str(member.id))
    assert marker is not None
    assert before <= marker <= time.time()
    published = OutboxEvent.objects.get(event_type="auth.sessions_revoked")
    assert (published.payload["user_id"], published.payload["reason"]) == (str(member.id), reason)

    assert consume(event) == []  # delivered twice: handled once
    assert OutboxEvent.objects.filter(event_type="auth.sessions_revoked").count() == 1
    assert ProcessedEvent.objects.filter(event_id=event["id"]).count() == 1


def test_an_event_about_a_user_without_credential_is_a_no_op():
    event = envelope("users.user_deactivated", user_id=str(uuid.uuid4()))
    assert consume(event) == []
    assert not OutboxEvent.objects.exists()
