"""Event handlers of the test project, found by ``chassis.events`` at start-up.

``tests.note_added`` has two handlers. ``record_note`` always succeeds. ``flaky_note``
fails the first ``fail_times`` times it runs for an event (counted in Redis, which the
failed attempts' rolled-back transactions cannot undo), then succeeds.
"""

from __future__ import annotations

import redis
from django.conf import settings

from chassis.events import Envelope, subscribe
from chassis.observability.context import get_request_id
from chassis_tests_app.models import HandlerEffect


def attempts_key(event_id: str) -> str:
    return f"chassis_tests:flaky_note:{event_id}"


@subscribe("tests.note_added")
def record_note(envelope: Envelope) -> None:
    HandlerEffect.objects.create(
        event_id=envelope["id"], handler="record_note", request_id=get_request_id() or ""
    )


@subscribe("tests.note_added")
def flaky_note(envelope: Envelope) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        attempt = int(client.incr(attempts_key(envelope["id"])))
    finally:
        client.close()
    # Written before it fails, to show that a failed attempt leaves nothing behind.
    HandlerEffect.objects.create(event_id=envelope["id"], handler="flaky_note")
    if attempt <= int(envelope["payload"].get("fail_times", 0)):
        raise RuntimeError(f"flaky_note fails attempt {attempt}")
