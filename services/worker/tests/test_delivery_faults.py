"""The email flows under faults, through real Celery workers in subprocesses.

Each test publishes auth's events through the outbox as a producer does, and a real worker
(``celery -A worker_service worker``) consumes them from Redis and mails a real SMTP server
on loopback. The faults are real too: SIGKILL, a stopped mail server, a stopped broker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from chassis.embedded import EmbeddedRedis
from chassis.embedded.process import free_port
from chassis.events import Envelope, publish
from chassis.events.models import DeadLetter, OutboxEvent, ProcessedEvent
from chassis.testing.celery_worker import (
    WorkerProcess,
    celery_worker,
    database_url_for_subprocesses,
    eventually,
)
from tests.conftest import DATABASES, password_changed, registered, reset_requested
from tests.mail_sink import MailSink
from worker_service.notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True, databases=DATABASES)

WORKER_DIR = Path(__file__).resolve().parents[1]
WELCOME = "worker_service.notifications.handlers.send_welcome_email"
RESET = "worker_service.notifications.handlers.send_password_reset_email"
NOTICE = "worker_service.notifications.handlers.send_security_notice_email"
PUSH = "worker_service.notifications.handlers.push_security_notice"
Kind, Status = Notification.Kind, Notification.Status


@contextmanager
def worker(sink: MailSink, log: Path, *, pool: str = "solo", **env: str) -> Iterator[WorkerProcess]:
    """The worker service's Celery worker, mailing ``sink``; ``env`` overrides settings."""
    settings_env = {
        "DJANGO_SETTINGS_MODULE": "worker_service.settings",
        "EMAIL_URL": sink.url,
        "EMAIL_TIMEOUT": "30",
        "EVENTS_RETRY_BACKOFF": "0.1",
        "EVENTS_RETRY_BACKOFF_MAX": "0.5",
        **env,
    }
    with celery_worker(
        app="worker_service",
        queues=["worker"],
        cwd=WORKER_DIR,
        log=log,
        env=settings_env,
        pool=pool,
    ) as running:
        yield running


def published(event: Envelope) -> OutboxEvent:
    """``event`` written to the outbox and committed, as auth does; the relay sends it."""
    with transaction.atomic():
        return publish(event["type"], event["payload"], aggregate_id=event["payload"]["user_id"])


def handled(outbox: OutboxEvent, handler: str) -> bool:
    return ProcessedEvent.objects.filter(event_id=outbox.id, handler=handler).exists()


def notification(outbox: OutboxEvent, kind: Notification.Kind) -> Notification:
    return Notification.objects.get(event_id=outbox.id, kind=kind)


def pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


# -- a worker dies in the middle of sending ----------------------------------------------


def test_worker_killed_while_the_server_holds_its_reply_is_redelivered_and_mails_once(
    sink, tmp_path
):
    visibility_timeout = 2
    sink.hold_replies()
    with worker(sink, tmp_path / "killed.log") as doomed:
        event = published(registered())
        # The server has stored the mail and not yet said so: the worker cannot know.
        assert sink.handler.holding.wait(20), doomed.log_tail()
        os.killpg(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait()
        killed_at = time.monotonic()
    sink.release()
    assert len(sink.files()) == 1
    assert notification(event, Kind.WELCOME_EMAIL).status == Status.SENDING
    assert not handled(event, WELCOME)

    # The message was never acked: Redis gives it to a worker once it has been invisible
    # for the visibility timeout (made short here; an hour by default).
    time.sleep(max(0.0, killed_at + visibility_timeout + 0.5 - time.monotonic()))
    with worker(
        sink, tmp_path / "next.log", CELERY_VISIBILITY_TIMEOUT=str(visibility_timeout)
    ) as survivor:
        eventually(lambda: handled(event, WELCOME), log=survivor.log)

    assert len(sink.files()) == 1
    row = notification(event, Kind.WELCOME_EMAIL)
    assert (row.status, row.last_error) == (Status.UNCERTAIN, "interrupted")


def test_pool_child_killed_mid_send_is_requeued_at_once_and_mails_once(sink, tmp_path):
    sink.hold_replies()
    with worker(sink, tmp_path / "prefork.log", pool="prefork") as running:
        event = published(password_changed())
        assert sink.handler.holding.wait(20), running.log_tail()
        (child,) = pool_children(running.process.pid)
        os.kill(child, signal.SIGKILL)
        sink.release()
        # task_reject_on_worker_lost: the message goes back to the queue, not to waste.
        eventually(lambda: handled(event, NOTICE) and handled(event, PUSH), log=running.log)
        assert "WorkerLostError" in running.log_tail(20_000)

    assert len(sink.files()) == 1
    assert notification(event, Kind.SECURITY_NOTICE_EMAIL).status == Status.UNCERTAIN
    assert notification(event, Kind.SECURITY_NOTICE_PUSH).status == Status.SENT


# -- the mail server is down ---------------------------------------------------------------


def test_mail_server_down_is_retried_with_backoff_then_mailed_once_when_it_returns(sink, tmp_path):
    sink.stop()
    with worker(sink, tmp_path / "worker.log", EVENTS_MAX_RETRIES="100") as running:
        event = published(registered())

        def failed_a_few_times() -> bool:
            row = Notification.objects.filter(event_id=event.id).first()
            return row is not None and row.attempts >= 3

        eventually(failed_a_few_times, log=running.log)
        assert notification(event, Kind.WELCOME_EMAIL).status == Status.FAILED
        sink.start()
        eventually(lambda: handled(event, WELCOME), log=running.log)

    (message,) = sink.messages()
    assert message["To"] == event.payload["email"]
    row = notification(event, Kind.WELCOME_EMAIL)
    assert row.status == Status.SENT
    assert row.attempts >= 4
    assert not DeadLetter.objects.exists()


def test_poison_event_is_dead_lettered_without_holding_back_the_mail_behind_it(sink, tmp_path):
    with worker(sink, tmp_path / "worker.log", EVENTS_MAX_RETRIES="2") as running:
        poison = published(reset_requested(reset_token_sealed="sealed-by-nobody"))
        behind = published(registered())
        eventually(lambda: DeadLetter.objects.exists(), log=running.log)

    (letter,) = DeadLetter.objects.all()
    assert (letter.event_id, letter.handler, letter.attempts) == (poison.id, RESET, 3)
    assert "DecryptionError" in letter.error
    (message,) = sink.messages()
    assert message["To"] == behind.payload["email"]
    # The mail behind was sent while the poison waited between its retries.
    sent_at = notification(behind, Kind.WELCOME_EMAIL).sent_at
    assert sent_at is not None
    assert sent_at < letter.created_at
    assert notification(poison, Kind.PASSWORD_RESET_EMAIL).status == Status.FAILED


# -- the broker is down when auth commits ----------------------------------------------------

PUBLISH_THREE = """
import json, sys, django
django.setup()
from django.db import transaction
from chassis.events import publish

for event in json.loads(sys.argv[1]):
    with transaction.atomic():
        publish(event["type"], event["payload"], aggregate_id=event["payload"]["user_id"])
"""

SWEEP = """
import django
django.setup()
from chassis.events.relay import relay_pending
print(relay_pending())
"""


def run_django(code: str, *args: str, broker_url: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "worker_service.settings",
        "DATABASE_URL": database_url_for_subprocesses(),
        "CELERY_BROKER_URL": broker_url,
    }
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=WORKER_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_events_committed_while_the_broker_is_down_are_mailed_in_order_once_it_returns(
    sink, tmp_path
):
    broker = EmbeddedRedis(tmp_path / "broker", port=free_port())
    ada = registered(email="ada@example.com")
    ada_changed = password_changed(user_id=ada["payload"]["user_id"], email="ada@example.com")
    bob = registered(email="bob@example.com")
    events: list[dict[str, Any]] = [dict(e) for e in (ada, ada_changed, bob)]

    run_django(PUBLISH_THREE, json.dumps(events), broker_url=broker.url())

    # Committed all the same; nothing sent, nothing lost.
    rows = list(OutboxEvent.objects.order_by("position"))
    assert [row.event_type for row in rows] == [e["type"] for e in events]
    assert all(row.delivered_at is None for row in rows)

    with broker, worker(sink, tmp_path / "worker.log", CELERY_BROKER_URL=broker.url()) as running:
        assert run_django(SWEEP, broker_url=broker.url()) == "3"
        eventually(lambda: len(sink.files()) == 3, log=running.log)

    recipients_and_subjects = [(m["To"], m["Subject"]) for m in sink.messages()]
    ada_mail = [subject for to, subject in recipients_and_subjects if to == "ada@example.com"]
    assert ada_mail == ["Welcome to Strata, Ada Lovelace", "Your Strata password was changed"]
    assert ("bob@example.com", "Welcome to Strata, Ada Lovelace") in recipients_and_subjects
    assert not OutboxEvent.objects.filter(delivered_at__isnull=True).exists()
