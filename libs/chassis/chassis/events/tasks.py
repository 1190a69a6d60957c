"""The Celery tasks of ``chassis.events``, registered by name in every service.

=================================  =====================================================
``strata.events.consume``          sent by producers to each consumer service's queue
``strata.events.relay_pending``    periodic, on the service's own queue: the outbox sweep
``strata.events.purge_delivered``  periodic (daily), own queue: old delivered outbox rows
``strata.events.purge_processed``  periodic (daily), own queue: old inbox rows
=================================  =====================================================
"""

from __future__ import annotations

from typing import Any

import structlog
from celery import Task, shared_task
from django.db import transaction

from chassis.events import conf
from chassis.events.consuming import consume, retry_delay
from chassis.events.dead_letters import dead_letter_record
from chassis.events.envelope import Envelope, is_envelope
from chassis.events.housekeeping import purge_delivered, purge_processed
from chassis.events.relay import relay_pending
from chassis.observability.context import bound_request_id
from chassis.observability.metrics import EVENTS_FAILED

logger = structlog.get_logger(__name__)


@shared_task(bind=True, name=conf.CONSUME_TASK, max_retries=None)
def consume_event(self: Task[Any, None], envelope: Any, handlers: list[str] | None = None) -> None:
    """Handle one delivered event; retry its failed handlers; dead-letter them at the end.

    Only the handlers that failed are retried (the inbox would skip the others anyway).
    After ``EVENTS_MAX_RETRIES`` retries each still failing handler gets a dead letter and
    the message is acked, so one bad event never blocks the queue behind it.
    """
    if not is_envelope(envelope):
        logger.error("event_malformed", message=repr(envelope)[:500])
        return
    event: Envelope = envelope
    with bound_request_id(event["request_id"]):
        failures = consume(event, only=handlers)
        if not failures:
            return
        attempt = self.request.retries
        if attempt < conf.max_retries():
            for _ in failures:
                EVENTS_FAILED.labels(event["type"], "false").inc()
            raise self.retry(
                args=(event,),
                kwargs={"handlers": [failure.handler for failure in failures]},
                countdown=retry_delay(attempt=attempt),
                max_retries=conf.max_retries(),
            )
        try:
            with transaction.atomic():
                for failure in failures:
                    dead_letter_record(
                        envelope=event,
                        handler=failure.handler,
                        error=failure.error,
                        attempts=attempt + 1,
                    )
        except Exception as exc:
            # Acking now would lose the event: keep it coming back until it can be kept.
            logger.exception("event_dead_letter_failed", event_id=event["id"])
            raise self.retry(
                args=(event,),
                kwargs={"handlers": [failure.handler for failure in failures]},
                countdown=conf.retry_backoff_max(),
                max_retries=None,
                exc=exc,
            ) from exc
        for failure in failures:
            EVENTS_FAILED.labels(event["type"], "true").inc()
            logger.error(
                "event_dead_lettered",
                event_id=event["id"],
                event_type=event["type"],
                handler=failure.handler,
                attempts=attempt + 1,
            )


@shared_task(name=conf.RELAY_PENDING_TASK)
def relay_pending_task() -> int:
    """The outbox sweep: send every undelivered row (see :func:`relay_pending`)."""
    return relay_pending()


@shared_task(name=conf.PURGE_DELIVERED_TASK)
def purge_delivered_task() -> int:
    """Delete delivered outbox rows older than ``EVENTS_OUTBOX_RETENTION_DAYS``."""
    return purge_delivered()


@shared_task(name=conf.PURGE_PROCESSED_TASK)
def purge_processed_task() -> int:
    """Delete inbox rows older than ``EVENTS_INBOX_RETENTION_DAYS``."""
    return purge_processed()
