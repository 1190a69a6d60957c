"""The notification log's state changes, each committed at once on a connection of its own.

Event handlers run inside the consumer's transaction (with their inbox row), which commits
only after the handler returns. A claim made there would vanish with a worker killed after
the mail went out, and the redelivered event would send it again. So the log is written
through a second connection to the same database (``settings.NOTIFICATION_LOG_DATABASE``),
where each change below is its own short transaction, durable before the next step runs.

The states::

    (none) --claim--> sending --sent--> sent
      |                  |----refused--> failed --claim--> sending ...
      |                  '----unknown--> uncertain
      '--failure before any claim--> failed
    sending, found by a later attempt --> uncertain   (its process died mid-send)
"""

from __future__ import annotations

import smtplib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from chassis.events import Envelope
from worker_service.notifications.models import Notification

Status = Notification.Status

_ERROR_LIMIT = 200


@dataclass(frozen=True)
class NotificationKey:
    """Which notification: the causing event and the kind (the log's unique key)."""

    event_id: uuid.UUID
    event_type: str
    kind: Notification.Kind
    user_id: uuid.UUID

    @classmethod
    def of(cls, envelope: Envelope, *, kind: Notification.Kind, user_id: str) -> NotificationKey:
        return cls(
            event_id=uuid.UUID(envelope["id"]),
            event_type=envelope["type"],
            kind=kind,
            user_id=uuid.UUID(user_id),
        )


def _database() -> str:
    return str(settings.NOTIFICATION_LOG_DATABASE)


def _rows(key: NotificationKey) -> QuerySet[Notification]:
    return Notification.objects.using(_database()).filter(event_id=key.event_id, kind=key.kind)


def error_summary(error: BaseException) -> str:
    """The failure's type, and the reply code when a server refused.

    Never the message: SMTP errors quote the recipient's address, and a row of the log
    must hold no PII.
    """
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{name} {error.smtp_code}"[:_ERROR_LIMIT]
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        return f"{name} {' '.join(map(str, codes))}"[:_ERROR_LIMIT]
    return name[:_ERROR_LIMIT]


def current_status(key: NotificationKey) -> Notification.Status | None:
    status = _rows(key).values_list("status", flat=True).first()
    return None if status is None else Status(status)


def claim(key: NotificationKey) -> bool:
    """Mark the notification ``sending`` and commit; False if another attempt has it."""
    with transaction.atomic(using=_database()):
        row = _rows(key).select_for_update().first()
        if row is None:
            try:
                with transaction.atomic(using=_database()):
                    _create(key, status=Status.SENDING)
            except IntegrityError:  # created meanwhile: it is someone else's
                return False
            return True
        if row.status != Status.FAILED:
            return False
        row.status = Status.SENDING
        row.attempts = F("attempts") + 1
        row.save(update_fields=["status", "attempts", "updated_at"])
        return True


def mark_sent(key: NotificationKey) -> None:
    _finish(key, status=Status.SENT, sent_at=timezone.now())


def mark_interrupted(key: NotificationKey) -> None:
    """A ``sending`` row left by a process that died mid-send: it may have gone out."""
    _finish(key, status=Status.UNCERTAIN, last_error="interrupted")


def mark_failed(key: NotificationKey, error: BaseException) -> None:
    """The claimed notification did not go out: the next attempt may send it."""
    _finish(key, status=Status.FAILED, last_error=error_summary(error))


def mark_uncertain(key: NotificationKey, error: BaseException) -> None:
    """The claimed notification may have gone out: it is never sent again."""
    _finish(key, status=Status.UNCERTAIN, last_error=error_summary(error))


def record_failure(key: NotificationKey, error: BaseException) -> None:
    """An attempt failed before its claim (rendering, connecting): count it as ``failed``."""
    with transaction.atomic(using=_database()):
        updated = (
            _rows(key)
            .filter(status=Status.FAILED)
            .update(
                attempts=F("attempts") + 1,
                last_error=error_summary(error),
                updated_at=timezone.now(),
            )
        )
        if updated or _rows(key).exists():
            return
        try:
            with transaction.atomic(using=_database()):
                _create(key, status=Status.FAILED, last_error=error_summary(error))
        except IntegrityError:
            pass  # another attempt wrote the row first; its state wins


def record_skipped(key: NotificationKey, *, reason: str) -> None:
    """Not sent on purpose; final, like ``sent``."""
    try:
        with transaction.atomic(using=_database()):
            _create(key, status=Status.SKIPPED, last_error=reason, attempts=0)
    except IntegrityError:
        pass


def _create(
    key: NotificationKey, *, status: Notification.Status, last_error: str = "", attempts: int = 1
) -> None:
    row = Notification(
        event_id=key.event_id,
        event_type=key.event_type,
        kind=key.kind,
        user_id=key.user_id,
        status=status,
        attempts=attempts,
        last_error=last_error,
    )
    row.full_clean(validate_unique=False)  # the unique key is the database's to enforce
    row.save(using=_database(), force_insert=True)


def _finish(key: NotificationKey, *, status: Notification.Status, **fields: object) -> None:
    _rows(key).filter(status=Status.SENDING).update(
        status=status, updated_at=timezone.now(), **fields
    )
