"""Dead letters: events a handler kept failing on, kept for a person to replay."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from chassis.errors import Conflict, NotFound
from chassis.events import conf
from chassis.events.envelope import Envelope
from chassis.events.metrics import DEAD_LETTERS_REPLAYED
from chassis.events.models import DeadLetter
from chassis.events.relay import celery_app, send_envelope


def dead_letter_record(
    *, envelope: Envelope, handler: str, error: str, attempts: int
) -> DeadLetter:
    """Keep ``envelope`` as a dead letter of ``handler`` after its last failed attempt."""
    letter = DeadLetter(
        event_id=envelope["id"],
        event_type=envelope["type"],
        envelope=dict(envelope),
        handler=handler,
        error=error,
        attempts=attempts,
    )
    letter.full_clean(validate_unique=False)  # a fresh uuid4 key: no query to check it
    letter.save(force_insert=True)
    return letter


def replay_dead_letter(*, dead_letter_id: UUID, force: bool = False) -> DeadLetter:
    """Send a dead letter's event back to this service's queue, for its handler only.

    The handler gets a fresh set of retries; if it fails them all again, a new dead letter
    is written. A letter is replayed once unless ``force`` is given.
    """
    with transaction.atomic():
        letter = DeadLetter.objects.select_for_update().filter(id=dead_letter_id).first()
        if letter is None:
            raise NotFound("No such dead letter.", code="dead_letter_not_found")
        if letter.replayed_at is not None and not force:
            raise Conflict("This dead letter was replayed already.", code="dead_letter_replayed")
        envelope: dict[str, Any] = letter.envelope
        # Sent before it is marked: a failed send raises and leaves the letter as it was.
        send_envelope(
            app=celery_app(), envelope=envelope, queue=conf.service(), handlers=[letter.handler]
        )
        letter.replayed_at = timezone.now()
        letter.save(update_fields=["replayed_at", "updated_at"])
    DEAD_LETTERS_REPLAYED.labels(letter.event_type).inc()
    return letter
