"""What an operator does with dead letters: ``manage.py dead_letters`` and the admin action.

A replay puts a consume message on this service's queue (a Redis list), for the dead
letter's handler only; these tests read the queue to see it.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.utils import timezone

from chassis.events import Envelope
from chassis.events.dead_letters import dead_letter_record
from chassis.events.models import DeadLetter

pytestmark = pytest.mark.django_db

QUEUE = "chassis_tests"  # the test project's own queue, where replays go
HANDLER = "chassis_tests_app.handlers.flaky_note"


def letter(*, event_type: str = "tests.note_added", replayed: bool = False) -> DeadLetter:
    envelope = Envelope(
        id=str(uuid.uuid4()),
        type=event_type,
        occurred_at=timezone.now().isoformat(),
        producer="chassis_tests",
        payload={"fail_times": 99},
        request_id="req-dead-1",
        aggregate_id=None,
    )
    record = dead_letter_record(
        envelope=envelope,
        handler=HANDLER,
        error="Traceback (most recent call last):\nRuntimeError: flaky_note fails attempt 3",
        attempts=3,
    )
    if replayed:
        record.replayed_at = timezone.now()
        record.save()
    return record


def command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("dead_letters", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def queued() -> list[tuple[list, dict]]:
    """The consume messages on the queue, oldest first: (args, kwargs)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        raw = client.lrange(QUEUE, 0, -1)
    finally:
        client.close()
    bodies = [json.loads(base64.b64decode(json.loads(item)["body"])) for item in reversed(raw)]
    return [(args, kwargs) for args, kwargs, _ in bodies]


# -- manage.py dead_letters list / show ------------------------------------------------------


def test_list_shows_the_letters_not_replayed_oldest_first():
    older, newer = letter(), letter(event_type="tests.other")
    DeadLetter.objects.filter(id=older.id).update(created_at=timezone.now() - timedelta(hours=1))
    letter(replayed=True)

    out, _ = command("list")

    lines = out.splitlines()
    assert lines[0].split() == [
        "ID", "CREATED", "(UTC)", "EVENT", "TYPE", "ATTEMPTS", "REPLAYED", "(UTC)", "HANDLER",
    ]  # fmt: skip
    assert [line.split()[0] for line in lines[1:-1]] == [str(older.id), str(newer.id)]
    assert lines[1].split()[3:] == ["tests.note_added", "3", "-", HANDLER]
    assert lines[-1] == "2 of 2 dead letters not replayed"


def test_list_all_includes_replayed_letters_and_filters_by_type():
    letter()
    replayed = letter(event_type="tests.other", replayed=True)

    out, _ = command("list", "--all", "--type", "tests.other", "--limit", "5")

    (row,) = out.splitlines()[1:-1]
    assert row.startswith(str(replayed.id))
    assert out.splitlines()[-1] == "1 of 1 dead letters"


def test_show_prints_the_envelope_and_the_last_error():
    record = letter()

    out, _ = command("show", str(record.id))

    assert f"event id:    {record.event_id}" in out
    assert f"handler:     {HANDLER}" in out
    assert "replayed at: never" in out
    assert '"fail_times": 99' in out
    assert '"request_id": "req-dead-1"' in out
    assert out.rstrip().endswith("RuntimeError: flaky_note fails attempt 3")


@pytest.mark.parametrize("raw", [str(uuid.uuid4()), "not-a-uuid"])
def test_show_of_an_unknown_id_is_an_error(raw):
    with pytest.raises(CommandError):
        command("show", raw)


# -- manage.py dead_letters replay ----------------------------------------------------------


def test_replay_sends_the_event_to_its_handler_once_unless_forced():
    record = letter()

    out, _ = command("replay", str(record.id))

    assert f"replayed {record.id} (tests.note_added) to {HANDLER}" in out
    assert queued() == [([record.envelope], {"handlers": [HANDLER]})]
    record.refresh_from_db()
    assert record.replayed_at is not None

    with pytest.raises(CommandError, match="1 dead letter"):
        command("replay", str(record.id))
    assert len(queued()) == 1

    command("replay", str(record.id), "--force")
    assert len(queued()) == 2


def test_replay_all_open_replays_every_letter_not_replayed_yet_of_a_type():
    wanted, other = letter(), letter(event_type="tests.other")
    letter(replayed=True)

    out, _ = command("replay", "--all-open", "--type", "tests.note_added")

    assert out.splitlines()[-1] == "1 of 1 dead letters replayed"
    assert [args[0]["id"] for args, _ in queued()] == [str(wanted.envelope["id"])]
    other.refresh_from_db()
    assert other.replayed_at is None


def test_replay_goes_on_past_an_unknown_id_and_fails_at_the_end():
    record = letter()
    unknown = uuid.uuid4()

    with pytest.raises(CommandError, match="1 dead letter"):
        command("replay", str(unknown), str(record.id))

    assert len(queued()) == 1


@pytest.mark.parametrize("args", [[], ["--all-open", str(uuid.uuid4())]])
def test_replay_needs_ids_or_all_open_but_not_both(args):
    with pytest.raises(CommandError, match="not both"):
        command("replay", *args)


# -- the admin action --------------------------------------------------------------------------


@pytest.fixture
def dead_letter_admin():
    return admin.site._registry[DeadLetter]


def admin_request(*permissions: str):
    user = User.objects.create_user(username=f"op-{uuid.uuid4().hex[:6]}", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    request = RequestFactory().post("/admin/strata_events/deadletter/")
    request.user = User.objects.get(pk=user.pk)  # fresh: permissions are cached per object
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]  # as MessageMiddleware does
    return request


def test_admin_action_replays_the_selected_letters_and_skips_replayed_ones(dead_letter_admin):
    fresh, replayed = letter(), letter(replayed=True)
    request = admin_request("view_deadletter", "change_deadletter")

    dead_letter_admin.replay(request, DeadLetter.objects.filter(id__in=[fresh.id, replayed.id]))

    assert queued() == [([fresh.envelope], {"handlers": [HANDLER]})]
    notes = [str(message) for message in get_messages(request)]
    assert notes[0] == "1 dead letter(s) replayed."
    assert notes[1].startswith("1 had been replayed already")


@pytest.mark.parametrize(
    ("permissions", "offered"),
    [(["view_deadletter"], False), (["view_deadletter", "change_deadletter"], True)],
)
def test_admin_offers_the_replay_action_only_with_the_change_permission(
    dead_letter_admin, permissions, offered
):
    request = admin_request(*permissions)

    assert ("replay" in dead_letter_admin.get_actions(request)) is offered
