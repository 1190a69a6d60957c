"""Consuming events: the inbox, retries, dead letters and replays.

The delivery tests run a real Celery worker (a subprocess, solo pool) on the test
project's queue, against the same Postgres and Redis as the test.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chassis.errors import Conflict
from chassis.events import Envelope, publish, replay_dead_letter
from chassis.events.consuming import consume, retry_delay
from chassis.events.dead_letters import dead_letter_record
from chassis.events.models import DeadLetter, ProcessedEvent
from chassis.events.relay import celery_app, send_envelope
from chassis.observability.context import bound_request_id
from chassis.testing.celery_worker import celery_worker, eventually
from chassis_tests_app.handlers import attempts_key
from chassis_tests_app.models import HandlerEffect

pytestmark = pytest.mark.django_db(transaction=True)

CHASSIS_DIR = Path(__file__).resolve().parents[1]
QUEUE = "chassis_tests"
MAX_RETRIES = 2  # the worker's EVENTS_MAX_RETRIES: three attempts in all
FLAKY = "chassis_tests_app.handlers.flaky_note"
RECORD = "chassis_tests_app.handlers.record_note"


def note_envelope(*, fail_times: int = 0, request_id: str | None = None) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        type="tests.note_added",
        occurred_at=timezone.now().isoformat(),
        producer="chassis_tests",
        payload={"fail_times": fail_times},
        request_id=request_id,
        aggregate_id=None,
    )


def effects(envelope: Envelope | dict[str, Any], handler: str) -> int:
    return HandlerEffect.objects.filter(event_id=envelope["id"], handler=handler).count()


def attempts(envelope: Envelope | dict[str, Any]) -> int:
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        return int(client.get(attempts_key(envelope["id"])) or 0)
    finally:
        client.close()


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Path]:
    """A Celery worker consuming this service's queue; yields its log file."""
    with celery_worker(
        app="chassis_tests_app.celery:app",
        queues=[QUEUE],
        cwd=CHASSIS_DIR,
        log=tmp_path / "worker.log",
        env={
            "DJANGO_SETTINGS_MODULE": "chassis_tests_app.settings",
            "EVENTS_MAX_RETRIES": str(MAX_RETRIES),
            "EVENTS_RETRY_BACKOFF": "0.1",
        },
    ) as running:
        yield running.log


@pytest.fixture
def routes(settings):
    settings.EVENT_ROUTES = {"tests.note_added": [QUEUE]}


# -- the inbox, in process -----------------------------------------------------------


def test_duplicate_delivery_runs_each_handler_once():
    envelope = note_envelope()

    assert consume(envelope) == []
    assert consume(envelope) == []

    assert effects(envelope, "record_note") == 1
    assert effects(envelope, "flaky_note") == 1
    assert set(ProcessedEvent.objects.values_list("handler", flat=True)) == {RECORD, FLAKY}


def test_failed_handler_leaves_no_effect_and_no_inbox_row_and_others_still_run():
    envelope = note_envelope(fail_times=1)

    (failure,) = consume(envelope)

    assert failure.handler == FLAKY
    assert "flaky_note fails attempt 1" in failure.error
    assert effects(envelope, "flaky_note") == 0
    assert effects(envelope, "record_note") == 1
    assert list(ProcessedEvent.objects.values_list("handler", flat=True)) == [RECORD]


def test_event_without_handlers_is_ignored():
    envelope = {**note_envelope(), "type": "tests.nobody_handles_this"}

    assert consume(envelope) == []  # type: ignore[arg-type]
    assert not ProcessedEvent.objects.exists()


def test_retry_delay_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.EVENTS_RETRY_BACKOFF = 2.0
    settings.EVENTS_RETRY_BACKOFF_MAX = 20.0
    for attempt, ceiling in [(0, 2.0), (1, 4.0), (2, 8.0), (3, 16.0), (4, 20.0), (9, 20.0)]:
        delays = {retry_delay(attempt=attempt) for _ in range(20)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1


def test_a_dead_letter_is_replayed_once_unless_forced():
    letter = dead_letter_record(envelope=note_envelope(), handler=FLAKY, error="e", attempts=3)

    replay_dead_letter(dead_letter_id=letter.id)
    with pytest.raises(Conflict):
        replay_dead_letter(dead_letter_id=letter.id)
    replay_dead_letter(dead_letter_id=letter.id, force=True)

    client = redis.Redis.from_url(settings.REDIS_URL)
    queued = [json.loads(item) for item in client.lrange(QUEUE, 0, -1)]
    client.close()
    assert len(queued) == 2
    args, kwargs, _ = json.loads(base64.b64decode(queued[0]["body"]))
    assert (args, kwargs) == ([letter.envelope], {"handlers": [FLAKY]})


# -- delivery through a real worker ------------------------------------------------------


def test_redelivered_event_is_handled_once_by_the_worker(worker):
    envelope, sentinel = note_envelope(), note_envelope()
    app = celery_app()
    for message in (envelope, envelope, sentinel):
        send_envelope(app=app, envelope=dict(message), queue=QUEUE)

    # The solo worker takes messages in order: once the sentinel is done, so are both copies.
    eventually(lambda: effects(sentinel, "record_note") == 1, log=worker)
    assert effects(envelope, "record_note") == 1
    assert effects(envelope, "flaky_note") == 1
    assert attempts(envelope) == 1  # the second copy did not even call the handler


def test_failing_handler_is_retried_until_it_succeeds_with_its_effect_once(worker, routes):
    with bound_request_id("req-consume-1"), transaction.atomic():
        event = publish("tests.note_added", {"fail_times": MAX_RETRIES})
    envelope = {"id": str(event.id)}

    eventually(lambda: effects(envelope, "flaky_note") == 1, log=worker)
    assert attempts(envelope) == MAX_RETRIES + 1
    # The handler that succeeded the first time was not run again by the retries.
    (recorded,) = HandlerEffect.objects.filter(event_id=event.id, handler="record_note")
    assert recorded.request_id == "req-consume-1"
    assert not DeadLetter.objects.exists()


def test_handler_failing_every_retry_is_dead_lettered_without_blocking_the_queue(worker, routes):
    with transaction.atomic():
        doomed = publish("tests.note_added", {"fail_times": 99})
        behind = publish("tests.note_added", {"fail_times": 0})

    eventually(lambda: DeadLetter.objects.exists(), log=worker)
    (letter,) = DeadLetter.objects.all()
    assert (letter.event_id, letter.handler, letter.attempts) == (doomed.id, FLAKY, MAX_RETRIES + 1)
    assert f"flaky_note fails attempt {MAX_RETRIES + 1}" in letter.error
    assert letter.envelope["payload"] == {"fail_times": 99}
    assert letter.envelope["id"] == str(doomed.id)
    assert attempts({"id": str(doomed.id)}) == MAX_RETRIES + 1
    assert effects({"id": str(doomed.id)}, "record_note") == 1
    # The event behind it was handled while the doomed one waited for its retries.
    handled = HandlerEffect.objects.get(event_id=behind.id, handler="flaky_note")
    assert handled.created_at < letter.created_at


def test_replayed_dead_letter_runs_its_handler_which_then_succeeds(worker, routes):
    with transaction.atomic():
        event = publish("tests.note_added", {"fail_times": MAX_RETRIES + 1})
    envelope = {"id": str(event.id)}
    eventually(lambda: DeadLetter.objects.exists(), log=worker)
    (letter,) = DeadLetter.objects.all()
    assert effects(envelope, "flaky_note") == 0

    replay_dead_letter(dead_letter_id=letter.id)

    eventually(lambda: effects(envelope, "flaky_note") == 1, log=worker)
    letter.refresh_from_db()
    assert letter.replayed_at is not None
    assert attempts(envelope) == MAX_RETRIES + 2
    assert effects(envelope, "record_note") == 1
    assert DeadLetter.objects.count() == 1
