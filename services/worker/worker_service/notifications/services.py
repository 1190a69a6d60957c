"""Sending a notification at most once per causing event, by email or to open sockets.

Each path reads the log, claims the notification (committed at once, see
:mod:`~worker_service.notifications.claims`), contacts the outside world, and records the
outcome. A failure that certainly sent nothing raises, so that the event consumer retries
the handler with backoff and dead-letters it in the end; the next attempt sends. A failure
after which the notification may have gone out is recorded as ``uncertain`` and never
retried: a rare lost email is the price of never sending one twice.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import structlog
from django.core.mail import EmailMessage, get_connection

from chassis.realtime import push_to_user
from worker_service.notifications import claims
from worker_service.notifications.claims import NotificationKey
from worker_service.notifications.metrics import NOTIFICATIONS
from worker_service.notifications.models import Notification

logger = structlog.get_logger(__name__)

Status = Notification.Status


def notification_send_email(
    *, key: NotificationKey, build: Callable[[], EmailMessage]
) -> Notification.Status:
    """Send the email ``build`` makes, unless this notification was sent or attempted.

    The message is rendered and the SMTP connection opened (and authenticated) before the
    claim, so that the usual failures (server down, bad credentials, a payload that cannot
    be rendered) leave the notification free for the next attempt.
    """
    settled = _settled(key)
    if settled is not None:
        return settled
    connection = None
    try:
        message = build()
        connection = get_connection(fail_silently=False)
        connection.open()
    except Exception as exc:
        if connection is not None:
            with suppress(Exception):  # connected, then refused (TLS, login): hang up
                connection.close()
        claims.record_failure(key, exc)
        _outcome(key, Status.FAILED, error=exc)
        raise
    try:
        if not claims.claim(key):
            return _lost_claim(key)
        try:
            connection.send_messages([message])
        except Exception as exc:
            if _certainly_not_accepted(exc):
                claims.mark_failed(key, exc)
                _outcome(key, Status.FAILED, error=exc)
                raise
            claims.mark_uncertain(key, exc)
            return _outcome(key, Status.UNCERTAIN, error=exc)
        claims.mark_sent(key)
        return _outcome(key, Status.SENT)
    finally:
        with suppress(Exception):  # sent or not, a failing QUIT changes nothing
            connection.close()


def notification_push(*, key: NotificationKey, frame: dict[str, Any]) -> Notification.Status:
    """Push ``frame`` to the user's open sockets, unless this notification was pushed.

    A failed push is retried even though it might have reached the channel layer: a frame
    shown twice is harmless (it carries the event id, for clients that deduplicate).
    """
    settled = _settled(key)
    if settled is not None:
        return settled
    if not claims.claim(key):
        return _lost_claim(key)
    try:
        push_to_user(user_id=key.user_id, frame=frame)
    except Exception as exc:
        claims.mark_failed(key, exc)
        _outcome(key, Status.FAILED, error=exc)
        raise
    claims.mark_sent(key)
    return _outcome(key, Status.SENT)


def notification_skip(*, key: NotificationKey, reason: str) -> Notification.Status:
    """Record that this notification is not to be sent, unless it already was."""
    settled = _settled(key)
    if settled is not None:
        return settled
    claims.record_skipped(key, reason=reason)
    return _outcome(key, Status.SKIPPED)


def _settled(key: NotificationKey) -> Notification.Status | None:
    """The status that ends this attempt before it starts, or None to go on and send.

    ``sent``, ``uncertain`` and ``skipped`` are final. A ``sending`` row found here was
    left by a process that died mid-send (a live one would still hold the event's inbox
    row, which a second delivery waits for): it may have gone out, so it becomes
    ``uncertain`` and is not sent again.
    """
    status = claims.current_status(key)
    if status is None or status == Status.FAILED:
        return None
    if status == Status.SENDING:
        claims.mark_interrupted(key)
        NOTIFICATIONS.labels(key.kind.value, "interrupted").inc()
        logger.error("notification_interrupted", **_fields(key, Status.UNCERTAIN))
        return Status.UNCERTAIN
    return _outcome(key, status, attempted=False)


def _lost_claim(key: NotificationKey) -> Notification.Status:
    # Only a concurrent attempt of the same event could win; the inbox rules that out,
    # but the log must stay right even if that ever changes.
    return _outcome(key, claims.current_status(key) or Status.SENDING, attempted=False)


def _certainly_not_accepted(error: Exception) -> bool:
    """Whether the mail server refused the message, so that it surely did not take it.

    A refusal is a reply: to the sender, every recipient or the data. Anything else (the
    connection dropped, a reply timed out, the task's soft time limit) may have come after
    the server took the message, and its outcome is unknown.
    """
    # ValueError: an address Django cannot encode, raised before a byte is sent.
    refusals = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused, ValueError)
    return isinstance(error, refusals)


def _outcome(
    key: NotificationKey,
    status: Notification.Status,
    *,
    attempted: bool = True,
    error: BaseException | None = None,
) -> Notification.Status:
    outcome = status.value if attempted else "duplicate"
    NOTIFICATIONS.labels(key.kind.value, outcome).inc()
    fields = _fields(key, status)
    if error is not None:
        fields["error"] = claims.error_summary(error)
    if not attempted:
        logger.info("notification_already_settled", **fields)
    elif status == Status.UNCERTAIN:
        logger.error("notification_uncertain", **fields)
    elif status == Status.FAILED:
        logger.warning("notification_failed", **fields)
    else:
        logger.info("notification_done", **fields)
    return status


def _fields(key: NotificationKey, status: Notification.Status) -> dict[str, str]:
    return {
        "event_id": str(key.event_id),
        "kind": key.kind.value,
        "user_id": str(key.user_id),
        "status": status.value,
    }
