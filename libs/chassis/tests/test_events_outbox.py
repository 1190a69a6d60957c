"""publish(), the relay's fast path and its sweep, against the real Postgres and Redis.

With kombu's Redis transport a queue is a Redis list named after it: messages are pushed
on the left and workers pop from the right, so the oldest message is the list's last item.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from chassis.embedded import EmbeddedRedis
from chassis.embedded.process import free_port
from chassis.events import PublishOutsideTransaction, publish
from chassis.events.housekeeping import purge_delivered, purge_processed
from chassis.events.models import OutboxEvent, ProcessedEvent
from chassis.events.relay import celery_app, relay_pending
from chassis.observability.context import bound_request_id
from chassis.testing.celery_worker import database_url_for_subprocesses

pytestmark = pytest.mark.django_db(transaction=True)

CHASSIS_DIR = Path(__file__).resolve().parents[1]


def queued(queue: str, *, url: str | None = None) -> list[dict[str, Any]]:
    """The messages waiting in ``queue``, oldest first: task name, args and kwargs."""
    client = redis.Redis.from_url(url or settings.REDIS_URL)
    try:
        raw = client.lrange(queue, 0, -1)
    finally:
        client.close()
    messages = []
    for item in reversed(raw):
        message = json.loads(item)
        args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
        messages.append({"task": message["headers"]["task"], "args": args, "kwargs": kwargs})
    return messages


def payloads(queue: str, *, url: str | None = None) -> list[dict[str, Any]]:
    return [message["args"][0]["payload"] for message in queued(queue, url=url)]


def undelivered_row(
    event_type: str, payload: dict[str, Any], *, aggregate_id: str = ""
) -> OutboxEvent:
    """An outbox row whose fast path failed: committed, never sent."""
    return OutboxEvent.objects.create(
        event_type=event_type, payload=payload, aggregate_id=aggregate_id, attempts=1
    )


@pytest.fixture
def routes(settings):
    settings.EVENT_ROUTES = {
        "tests.thing_happened": ["users", "worker"],
        "tests.order_paid": ["billing"],
        "tests.order_shipped": ["shipping"],
    }
    return settings.EVENT_ROUTES


def test_the_relay_uses_the_service_celery_app():
    # The test project imports its app in its package, as every service does.
    app = celery_app()
    assert app.main == "chassis_tests_service"
    assert app.conf.task_default_queue == "chassis_tests"


def test_publish_outside_a_transaction_raises():
    with pytest.raises(PublishOutsideTransaction, match=r"transaction\.atomic"):
        publish("tests.thing_happened", {"n": 1})
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize("payload", [{"at": timezone.now()}, {"ratio": float("nan")}, ["a"]])
def test_publish_rejects_a_payload_that_is_not_a_json_object(payload):
    with transaction.atomic(), pytest.raises(TypeError):
        publish("tests.thing_happened", payload)
    assert not OutboxEvent.objects.exists()


def test_rolled_back_publish_writes_and_sends_nothing(routes):
    def publish_then_fail() -> None:
        with transaction.atomic():
            publish("tests.thing_happened", {"n": 1})
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        publish_then_fail()

    assert not OutboxEvent.objects.exists()
    assert queued("users") == []
    assert queued("worker") == []


def test_committed_event_is_sent_once_to_each_consumer_queue_and_marked_delivered(routes):
    with bound_request_id("req-outbox-1"), transaction.atomic():
        event = publish("tests.thing_happened", {"n": 1, "tags": ("a",)}, aggregate_id="thing-7")

    expected = {
        "id": str(event.id),
        "type": "tests.thing_happened",
        "occurred_at": event.created_at.isoformat(),
        "producer": "chassis_tests",
        "payload": {"n": 1, "tags": ["a"]},
        "request_id": "req-outbox-1",
        "aggregate_id": "thing-7",
    }
    for queue in ("users", "worker"):
        (message,) = queued(queue)
        assert message == {"task": "strata.events.consume", "args": [expected], "kwargs": {}}
    assert event.created_at.utcoffset() == timedelta(0)
    assert queued("chat") == []
    event.refresh_from_db()
    assert event.delivered_at is not None
    assert event.attempts == 1


def test_event_without_consumers_is_marked_delivered(routes):
    with transaction.atomic():
        event = publish("tests.nobody_listens", {})

    event.refresh_from_db()
    assert event.delivered_at is not None


def test_events_of_one_transaction_are_sent_in_publish_order(routes):
    with transaction.atomic():
        for step in range(5):
            publish("tests.order_paid", {"step": step}, aggregate_id="order-1")

    assert payloads("billing") == [{"step": step} for step in range(5)]


def test_fast_path_does_not_overtake_an_older_undelivered_row_of_its_aggregate(routes):
    undelivered_row("tests.order_paid", {"step": 1}, aggregate_id="order-1")

    with transaction.atomic():
        newer = publish("tests.order_shipped", {"step": 2}, aggregate_id="order-1")
        other = publish("tests.order_shipped", {"step": 1}, aggregate_id="order-2")

    assert payloads("shipping") == [{"step": 1}]  # order-2's only event went at once
    newer.refresh_from_db()
    other.refresh_from_db()
    assert (newer.delivered_at, newer.attempts) == (None, 0)
    assert other.delivered_at is not None

    assert relay_pending() == 2
    assert payloads("billing") == [{"step": 1}]
    assert payloads("shipping") == [{"step": 1}, {"step": 2}]
    assert not OutboxEvent.objects.filter(delivered_at__isnull=True).exists()


def test_sweep_does_not_overtake_a_row_another_process_has_locked(routes):
    held = undelivered_row("tests.order_paid", {"step": 1}, aggregate_id="order-1")
    undelivered_row("tests.order_shipped", {"step": 2}, aggregate_id="order-1")
    undelivered_row("tests.order_shipped", {"step": 1}, aggregate_id="order-2")
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                OutboxEvent.objects.select_for_update().get(id=held.id)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        assert relay_pending() == 1
        assert payloads("shipping") == [{"step": 1}]
    finally:
        release.set()
        holder.join(10)

    assert relay_pending() == 2
    assert payloads("billing") == [{"step": 1}]
    assert payloads("shipping") == [{"step": 1}, {"step": 2}]


def test_sweep_holds_back_an_aggregate_whose_older_row_failed_and_sends_the_rest(routes):
    # A key of the wrong type makes Redis refuse the push to this one queue only.
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set("billing", "not a list")
    failed = undelivered_row("tests.order_paid", {"step": 1}, aggregate_id="order-1")
    held_back = undelivered_row("tests.order_shipped", {"step": 2}, aggregate_id="order-1")
    undelivered_row("tests.order_shipped", {"step": 1}, aggregate_id="order-2")
    undelivered_row("tests.order_shipped", {"step": "no aggregate"})

    assert relay_pending() == 2

    assert payloads("shipping") == [{"step": 1}, {"step": "no aggregate"}]
    failed.refresh_from_db()
    held_back.refresh_from_db()
    assert failed.delivered_at is None
    assert failed.attempts == 2
    assert "WRONGTYPE" in failed.last_error
    assert (held_back.delivered_at, held_back.attempts) == (None, 1)  # not even tried

    client.delete("billing")
    client.close()
    assert relay_pending() == 2
    assert payloads("billing") == [{"step": 1}]
    assert payloads("shipping") == [{"step": 1}, {"step": "no aggregate"}, {"step": 2}]


def test_sweep_sends_in_batches(routes):
    for step in range(7):
        undelivered_row("tests.order_paid", {"step": step}, aggregate_id="order-1")

    assert relay_pending(batch_size=3) == 7
    assert payloads("billing") == [{"step": step} for step in range(7)]


# The producer and the sweep run in processes of their own, each with the broker on a
# port where, at first, nothing listens.
PUBLISH_WHILE_BROKER_DOWN = """
import sys, time, django
django.setup()
from django.conf import settings
from django.db import transaction
from chassis.events import publish

settings.EVENT_ROUTES = {"tests.order_paid": ["billing"], "tests.order_shipped": ["billing"]}
started = time.monotonic()
with transaction.atomic():
    publish("tests.order_paid", {"step": 1}, aggregate_id="order-1")
with transaction.atomic():
    publish("tests.order_shipped", {"step": 2}, aggregate_id="order-1")
with transaction.atomic():
    publish("tests.order_paid", {"step": 1}, aggregate_id="order-2")
print(time.monotonic() - started)
"""

SWEEP = """
import django
django.setup()
from django.conf import settings
from chassis.events.relay import celery_app, relay_pending

settings.EVENT_ROUTES = {"tests.order_paid": ["billing"], "tests.order_shipped": ["billing"]}
print(relay_pending())
"""


def run_django(code: str, *, broker_url: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chassis_tests_app.settings",
        "DATABASE_URL": database_url_for_subprocesses(),
        "CELERY_BROKER_URL": broker_url,
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=CHASSIS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_commit_succeeds_while_the_broker_is_down_and_the_sweep_delivers_later(tmp_path):
    broker = EmbeddedRedis(tmp_path / "broker", port=free_port())

    took = float(run_django(PUBLISH_WHILE_BROKER_DOWN, broker_url=broker.url()))

    assert took < 10  # a guard against hanging on the broker, not a benchmark
    rows = list(OutboxEvent.objects.order_by("position"))
    assert [(row.payload, row.delivered_at) for row in rows] == [
        ({"step": 1}, None),
        ({"step": 2}, None),
        ({"step": 1}, None),
    ]
    # The second waited for the first without trying; the others tried once and failed.
    assert [row.attempts for row in rows] == [1, 0, 1]
    assert "Connection refused" in rows[0].last_error

    with broker:
        assert run_django(SWEEP, broker_url=broker.url()) == "3"
        messages = queued("billing", url=broker.url())

    assert [
        (message["args"][0]["aggregate_id"], message["args"][0]["payload"]) for message in messages
    ] == [("order-1", {"step": 1}), ("order-1", {"step": 2}), ("order-2", {"step": 1})]
    assert not OutboxEvent.objects.filter(delivered_at__isnull=True).exists()


def test_purge_delivered_deletes_only_old_delivered_rows():
    old = timezone.now() - timedelta(days=8)
    gone = undelivered_row("tests.order_paid", {})
    kept_recent = undelivered_row("tests.order_paid", {})
    kept_pending = undelivered_row("tests.order_paid", {})
    OutboxEvent.objects.filter(id=gone.id).update(delivered_at=old)
    OutboxEvent.objects.filter(id=kept_recent.id).update(delivered_at=timezone.now())

    assert purge_delivered(older_than_days=7) == 1
    assert set(OutboxEvent.objects.values_list("id", flat=True)) == {
        kept_recent.id,
        kept_pending.id,
    }


def test_purge_processed_deletes_only_old_inbox_rows(settings):
    settings.EVENTS_INBOX_RETENTION_DAYS = 30
    old, recent = (
        ProcessedEvent.objects.create(event_id=uuid.uuid4(), handler="h", event_type="t")
        for _ in range(2)
    )
    ProcessedEvent.objects.filter(id=old.id).update(
        processed_at=timezone.now() - timedelta(days=31)
    )

    assert purge_processed() == 1
    assert list(ProcessedEvent.objects.values_list("id", flat=True)) == [recent.id]
