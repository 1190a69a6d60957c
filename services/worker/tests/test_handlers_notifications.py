"""The notification handlers, run in process through the chassis consumer (inbox and all).

Mail goes over SMTP to a real server on loopback; the in-app notice goes through the real
Redis channel layer.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction

from chassis.events.consuming import consume
from chassis.events.models import ProcessedEvent
from chassis.realtime import PUSH_MESSAGE_TYPE, user_group
from tests.conftest import (
    DATABASES,
    RESET_TOKEN,
    password_changed,
    registered,
    reset_requested,
)
from worker_service.notifications import claims
from worker_service.notifications.claims import NotificationKey
from worker_service.notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True, databases=DATABASES)

Kind, Status = Notification.Kind, Notification.Status
WELCOME = "worker_service.notifications.handlers.send_welcome_email"
RESET = "worker_service.notifications.handlers.send_password_reset_email"


def log_of(event, kind) -> Notification:
    return Notification.objects.get(event_id=event["id"], kind=kind)


def text_and_html(message) -> tuple[str, str]:
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


# -- what each event sends ---------------------------------------------------------------


def test_registration_sends_one_welcome_email_in_text_and_html(sink):
    event = registered(name="Ada <b>Lovelace</b>", email="ada@example.com")

    assert consume(event) == []

    (message,) = sink.messages()
    assert message["To"] == "ada@example.com"
    assert message["X-Envelope-To"] == "ada@example.com"
    assert message["Subject"] == "Welcome to Strata, Ada <b>Lovelace</b>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"] == f"<{event['id']}.welcome_email@strata.local>"
    text, html = text_and_html(message)
    assert "Hello Ada <b>Lovelace</b>," in text
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html
    assert "<b>Lovelace</b>" not in html
    row = log_of(event, Kind.WELCOME_EMAIL)
    assert (row.status, row.attempts, str(row.user_id)) == (
        Status.SENT,
        1,
        event["payload"]["user_id"],
    )
    assert row.sent_at is not None


def test_reset_email_links_to_the_public_reset_page_with_the_opened_token(sink, settings):
    settings.PASSWORD_RESET_URL = "https://strata.example/account/reset?lang=en"
    event = reset_requested()

    assert consume(event) == []

    (message,) = sink.messages()
    assert message["Subject"] == "Reset your Strata password"
    text, html = text_and_html(message)
    (link,) = [word for word in text.split() if word.startswith("https://")]
    parts = urlsplit(link)
    assert (parts.netloc, parts.path) == ("strata.example", "/account/reset")
    assert parse_qs(parts.query) == {"lang": ["en"], "token": [RESET_TOKEN]}
    assert f'href="{link.replace("&", "&amp;")}"' in html
    assert "expires on" in text
    # The sealed form never reaches the reader.
    assert event["payload"]["reset_token_sealed"] not in text + html


def test_an_expired_reset_link_is_not_sent(sink):
    event = reset_requested(expires_in=timedelta(minutes=-1))

    assert consume(event) == []

    assert sink.messages() == []
    assert log_of(event, Kind.PASSWORD_RESET_EMAIL).status == Status.SKIPPED


def test_password_change_sends_a_security_notice_and_pushes_a_notification_frame(sink):
    event = password_changed(email="ada@example.com")
    layer = get_channel_layer()
    assert layer is not None

    async def subscribe() -> str:
        channel = await layer.new_channel()
        await layer.group_add(user_group(event["payload"]["user_id"]), channel)
        return channel

    channel = async_to_sync(subscribe)()

    assert consume(event) == []

    async def receive() -> dict:
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    pushed = async_to_sync(receive)()
    assert pushed == {
        "type": PUSH_MESSAGE_TYPE,
        "frame": {
            "type": "notification",
            "id": event["id"],
            "kind": "security.password_changed",
            "title": "Your password was changed",
            "body": "If this was not you, reset your password now.",
            "created_at": event["occurred_at"],
        },
    }
    (message,) = sink.messages()
    assert message["Subject"] == "Your Strata password was changed"
    text, _ = text_and_html(message)
    assert "http://127.0.0.1:8080/reset-password" in text
    assert log_of(event, Kind.SECURITY_NOTICE_EMAIL).status == Status.SENT
    assert log_of(event, Kind.SECURITY_NOTICE_PUSH).status == Status.SENT


# -- at most once ------------------------------------------------------------------------


def test_an_event_delivered_twice_sends_one_email(sink):
    event = registered()

    consume(event)
    consume(event)

    assert len(sink.files()) == 1


def test_a_redelivery_after_the_inbox_lost_its_row_still_sends_nothing_twice(sink):
    # The worker died after sending and marking, before its transaction committed.
    event = registered()
    consume(event)
    ProcessedEvent.objects.all().delete()

    assert consume(event) == []

    assert len(sink.files()) == 1
    assert ProcessedEvent.objects.filter(handler=WELCOME).count() == 1


def test_a_claim_left_by_a_worker_that_died_mid_send_is_never_sent_again(sink):
    event = registered()
    Notification.objects.create(
        event_id=event["id"],
        event_type=event["type"],
        kind=Kind.WELCOME_EMAIL,
        user_id=event["payload"]["user_id"],
        status=Status.SENDING,
        attempts=1,
    )

    assert consume(event) == []

    assert sink.files() == []
    row = log_of(event, Kind.WELCOME_EMAIL)
    assert (row.status, row.last_error) == (Status.UNCERTAIN, "interrupted")
    # Handled, as far as the inbox knows: nothing is retried.
    assert ProcessedEvent.objects.filter(event_id=event["id"], handler=WELCOME).exists()


def test_a_connection_lost_after_the_server_took_the_mail_is_not_retried(sink):
    sink.handler.drop_after_store = True
    event = registered()

    assert consume(event) == []
    sink.handler.drop_after_store = False
    consume(event)

    assert len(sink.files()) == 1
    row = log_of(event, Kind.WELCOME_EMAIL)
    assert row.status == Status.UNCERTAIN
    assert row.last_error == "SMTPServerDisconnected"


# -- failures that are retried -------------------------------------------------------------


def test_a_refused_email_fails_the_handler_and_goes_out_on_the_next_attempt(sink):
    sink.handler.refusal = "451 4.3.0 Try again later"
    event = registered()

    (failure,) = consume(event)

    assert failure.handler == WELCOME
    assert "SMTPDataError" in failure.error
    assert sink.files() == []
    row = log_of(event, Kind.WELCOME_EMAIL)
    assert (row.status, row.attempts, row.last_error) == (Status.FAILED, 1, "SMTPDataError 451")
    assert not ProcessedEvent.objects.filter(handler=WELCOME).exists()

    sink.handler.refusal = None
    assert consume(event) == []

    assert len(sink.files()) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)


def test_a_mail_server_that_is_down_fails_the_handler_before_any_claim(sink):
    sink.stop()
    event = registered()

    (failure,) = consume(event)
    (failure,) = consume(event)

    assert "ConnectionRefusedError" in failure.error
    row = log_of(event, Kind.WELCOME_EMAIL)
    assert (row.status, row.attempts, row.last_error) == (
        Status.FAILED,
        2,
        "ConnectionRefusedError",
    )

    sink.start()
    assert consume(event) == []
    assert len(sink.files()) == 1


@pytest.mark.parametrize(
    ("make_event", "error"),
    [
        (lambda: reset_requested(reset_token_sealed="not-a-sealed-token"), "DecryptionError"),
        (lambda: registered(email="not an address"), "UnusablePayload"),
        (lambda: registered(email=None), "UnusablePayload"),
    ],
    ids=["token-that-does-not-open", "invalid-address", "no-address"],
)
def test_an_unusable_event_fails_its_handler_without_sending(sink, make_event, error):
    event = make_event()

    (failure,) = consume(event)

    assert error in failure.error
    assert sink.files() == []
    assert Notification.objects.get(event_id=event["id"]).status == Status.FAILED


def test_a_failed_push_does_not_hold_back_the_email(sink, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    event = password_changed()

    (failure,) = consume(event)

    assert failure.handler == "worker_service.notifications.handlers.push_security_notice"
    assert len(sink.files()) == 1
    assert log_of(event, Kind.SECURITY_NOTICE_PUSH).status == Status.FAILED


def test_the_log_keeps_no_address_even_when_a_server_refuses_one(sink):
    sink.handler.refusal = "550 5.1.1 <ada@example.com>: no such user"
    event = registered(email="ada@example.com")

    (failure,) = consume(event)

    assert "SMTPDataError" in failure.error
    row = log_of(event, Kind.WELCOME_EMAIL)
    assert row.last_error == "SMTPDataError 550"
    assert "@" not in row.last_error


def test_one_event_makes_one_log_row_per_kind():
    # The log's key: a second row for the same event and kind cannot exist.
    event_id, user_id = uuid.uuid4(), uuid.uuid4()
    fields = {"event_type": "auth.user_registered", "user_id": user_id, "status": Status.SENT}
    Notification.objects.create(event_id=event_id, kind=Kind.WELCOME_EMAIL, **fields)
    Notification.objects.create(event_id=event_id, kind=Kind.SECURITY_NOTICE_EMAIL, **fields)

    with pytest.raises(IntegrityError):
        Notification.objects.create(event_id=event_id, kind=Kind.WELCOME_EMAIL, **fields)


def test_a_claim_is_committed_at_once_even_inside_a_transaction_that_rolls_back():
    event = registered()
    key = NotificationKey.of(event, kind=Kind.WELCOME_EMAIL, user_id=event["payload"]["user_id"])

    def claim_then_die() -> None:
        with transaction.atomic():
            assert claims.claim(key)
            raise RuntimeError("the worker dies before its transaction commits")

    with pytest.raises(RuntimeError):
        claim_then_die()

    assert log_of(event, Kind.WELCOME_EMAIL).status == Status.SENDING
    assert not claims.claim(key)
