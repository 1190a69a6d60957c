"""What the worker does with auth's events: one handler per notification.

Each notification has a handler of its own, so the consumer retries (and dead-letters)
only the one that failed: a mail server outage does not hold back the in-app notice.
A payload a handler cannot use raises; after its retries it lands in the dead letters.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.core.mail import EmailMessage

from chassis.crypto.event_secrets import PASSWORD_RESET_TOKEN_PURPOSE, open_event_secret
from chassis.events import Envelope, subscribe
from worker_service.notifications.claims import NotificationKey
from worker_service.notifications.emails import build_email, password_reset_link, readable_time
from worker_service.notifications.models import Notification
from worker_service.notifications.services import (
    notification_push,
    notification_send_email,
    notification_skip,
)

Kind = Notification.Kind

# What auth seals the reset token for (chassis.crypto.event_secrets).


@subscribe("auth.user_registered")
def send_welcome_email(envelope: Envelope) -> None:
    payload = envelope["payload"]
    key = NotificationKey.of(envelope, kind=Kind.WELCOME_EMAIL, user_id=payload["user_id"])

    def build() -> EmailMessage:
        return build_email(
            kind=key.kind, event_id=key.event_id, to=payload["email"], context=_person(payload)
        )

    notification_send_email(key=key, build=build)


@subscribe("auth.password_reset_requested")
def send_password_reset_email(envelope: Envelope) -> None:
    payload = envelope["payload"]
    key = NotificationKey.of(envelope, kind=Kind.PASSWORD_RESET_EMAIL, user_id=payload["user_id"])
    expires_at = datetime.fromisoformat(payload["expires_at"])
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    if expires_at <= datetime.now(UTC):
        # Late (a long outage): a link that cannot work would only confuse.
        notification_skip(key=key, reason="expired")
        return

    def build() -> EmailMessage:
        # Opened only here, at the last moment; the plaintext goes into the email only.
        token = open_event_secret(
            payload["reset_token_sealed"], purpose=PASSWORD_RESET_TOKEN_PURPOSE
        )
        context = {
            **_person(payload),
            "reset_link": password_reset_link(token),
            "expires_at": readable_time(payload["expires_at"]),
        }
        return build_email(
            kind=key.kind, event_id=key.event_id, to=payload["email"], context=context
        )

    notification_send_email(key=key, build=build)


# Subscribed before the email, so it runs first: a password change also ends the user's
# sessions, and chat closes their sockets as soon as it hears; a notice pushed after the
# SMTP conversation would more often find them closed.
@subscribe("auth.password_changed")
def push_security_notice(envelope: Envelope) -> None:
    payload = envelope["payload"]
    key = NotificationKey.of(envelope, kind=Kind.SECURITY_NOTICE_PUSH, user_id=payload["user_id"])
    frame = {
        "type": "notification",
        # The event id: the same notice always carries the same id.
        "id": envelope["id"],
        "kind": "security.password_changed",
        "title": "Your password was changed",
        "body": "If this was not you, reset your password now.",
        "created_at": envelope["occurred_at"],
    }
    notification_push(key=key, frame=frame)


@subscribe("auth.password_changed")
def send_security_notice_email(envelope: Envelope) -> None:
    payload = envelope["payload"]
    key = NotificationKey.of(envelope, kind=Kind.SECURITY_NOTICE_EMAIL, user_id=payload["user_id"])

    def build() -> EmailMessage:
        context = {
            **_person(payload),
            "changed_at": readable_time(envelope["occurred_at"]),
            "reset_page": settings.PASSWORD_RESET_URL,
        }
        return build_email(
            kind=key.kind, event_id=key.event_id, to=payload["email"], context=context
        )

    notification_send_email(key=key, build=build)


def _person(payload: dict[str, str]) -> dict[str, str]:
    return {"name": payload.get("name") or "there"}
