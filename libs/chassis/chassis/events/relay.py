"""The relay: outbox rows to the consumer services' Celery queues.

Two paths send a row. Right after the producer's commit, :func:`relay_after_commit` tries
at once (the fast path). The periodic sweep :func:`relay_pending` sends whatever is left:
rows whose fast path failed (broker down) or had to wait for an older row of the same
aggregate. A row is marked delivered once every consumer queue has its message; a crash in
between sends it again, which the consumers' inbox absorbs.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

import structlog
from celery import Celery, current_app
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from kombu import Producer

from chassis.events import conf
from chassis.events.envelope import envelope_of
from chassis.events.metrics import OUTBOX_PENDING, RELAY_FAILURES
from chassis.events.models import OutboxEvent
from chassis.observability.metrics import EVENTS_PUBLISHED, EVENTS_RELAYED

logger = structlog.get_logger(__name__)

_LAST_ERROR_LIMIT = 4000

_service_app: Celery | None = None


def celery_app() -> Celery:
    """The running service's Celery app.

    A service's package imports its app (``<svc>_service/__init__.py``), which makes it
    Celery's current and default app. A process that did not gets one built the same way,
    rather than Celery's unconfigured stand-in, which would talk to a broker nobody runs.
    """
    global _service_app
    app: Celery = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.main != "default":  # the stand-in's name
        return app
    if _service_app is None:
        from chassis.celery import create_celery_app

        _service_app = create_celery_app(conf.service())
        _service_app.set_default()
    return _service_app


def send_envelope(
    *,
    app: Celery,
    envelope: dict[str, object],
    queue: str,
    handlers: list[str] | None = None,
    producer: Producer | None = None,
) -> None:
    """Put one consume message for ``envelope`` on ``queue`` (a consumer service's queue).

    The task is sent by name, so the producer needs none of the consumer's code.
    ``handlers`` limits the run to those handlers (a replay).
    """
    app.send_task(
        conf.CONSUME_TASK,
        args=[envelope],
        kwargs={"handlers": handlers} if handlers is not None else {},
        queue=queue,
        producer=producer,
    )


def relay_after_commit(*, event_id: UUID, event_type: str) -> None:
    """The fast path, run by ``publish()`` once the producer's transaction has committed.

    Never raises: the caller's commit has succeeded whatever happens here.
    """
    try:
        # Counted on commit: a rolled-back event was never published.
        EVENTS_PUBLISHED.labels(event_type).inc()
        relay_event(event_id=event_id)
    except Exception:
        logger.warning("event_relay_deferred", event_id=str(event_id), exc_info=True)


def relay_event(*, event_id: UUID) -> bool:
    """Send one outbox row now, unless it must wait. Returns whether it was delivered.

    It waits (for the sweep) when it is delivered already, when another process holds it,
    and when an older row of its aggregate is still undelivered, which it must not overtake.
    """
    app = celery_app()
    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(id=event_id, delivered_at__isnull=True)
            .first()
        )
        if event is None:
            return False
        if event.aggregate_id and _older_pending(event).exists():
            logger.info("event_relay_waits_for_older", event_id=str(event.id))
            return False
        with app.producer_or_acquire() as producer:
            return _deliver(event, app=app, producer=producer) is None


@dataclass
class _Sweep:
    sent: int = 0
    failed: int = 0
    broker_down: bool = False
    # Aggregates with a row that was not sent in this sweep: their newer rows wait.
    blocked: set[str] = field(default_factory=set)
    # Rows that failed in this sweep are not tried twice in it.
    failed_ids: set[UUID] = field(default_factory=set)


def relay_pending(*, batch_size: int | None = None) -> int:
    """Send every undelivered outbox row, oldest first. Returns how many were delivered.

    Rows are locked in batches with ``SELECT ... FOR UPDATE SKIP LOCKED``, so sweeps in
    several processes share the work. A row that cannot be sent blocks the newer rows of
    its aggregate until the next sweep; a broker that cannot be reached ends the sweep.
    """
    size = batch_size or conf.relay_batch_size()
    app = celery_app()
    sweep = _Sweep()
    with app.producer_or_acquire() as producer:
        while not sweep.broker_down:
            with transaction.atomic():
                batch = list(
                    OutboxEvent.objects.select_for_update(skip_locked=True)
                    .filter(delivered_at__isnull=True)
                    .exclude(aggregate_id__in=sweep.blocked)
                    .exclude(id__in=sweep.failed_ids)
                    .order_by("position")[:size]
                )
                _relay_batch(batch, sweep=sweep, app=app, producer=producer)
            if len(batch) < size:
                break
    pending = OutboxEvent.objects.filter(delivered_at__isnull=True).count()
    OUTBOX_PENDING.set(pending)
    if sweep.sent or sweep.failed:
        logger.info("event_relay_swept", sent=sweep.sent, failed=sweep.failed, pending=pending)
    return sweep.sent


def _relay_batch(
    batch: list[OutboxEvent], *, sweep: _Sweep, app: Celery, producer: Producer
) -> None:
    sweep.blocked |= _overtaking_aggregates(batch)
    for event in batch:
        if sweep.broker_down:
            return
        if event.aggregate_id in sweep.blocked:
            continue
        error = _deliver(event, app=app, producer=producer)
        if error is None:
            sweep.sent += 1
            continue
        sweep.failed += 1
        sweep.failed_ids.add(event.id)
        if event.aggregate_id:
            sweep.blocked.add(event.aggregate_id)
        # Every other row would wait out the same connection timeouts.
        sweep.broker_down = _is_unreachable(error, producer=producer)


def _is_unreachable(error: Exception, *, producer: Producer) -> bool:
    """Whether ``error`` says the broker cannot be reached (not that one message failed).

    Kombu raises ``OperationalError`` for both, chained to the transport's own error.
    """
    if producer.connection is None:
        return True
    connection_errors = producer.connection.connection_errors
    cause = error.__cause__ or error.__context__
    return isinstance(error, connection_errors) or isinstance(cause, connection_errors)


def _overtaking_aggregates(batch: Iterable[OutboxEvent]) -> set[str]:
    """Aggregates whose oldest row in ``batch`` has an older undelivered row outside it.

    Oldest-first locking puts every older unlocked row in the batch, so such a row is
    locked by another process (the fast path, another sweep) and may not be overtaken.
    """
    first: dict[str, int] = {}
    for event in batch:
        if event.aggregate_id:
            first.setdefault(event.aggregate_id, event.position)
    if not first:
        return set()
    older = (
        OutboxEvent.objects.filter(delivered_at__isnull=True, aggregate_id__in=first)
        .exclude(id__in=[event.id for event in batch])
        .values_list("aggregate_id", "position")
    )
    return {aggregate for aggregate, position in older if position < first[aggregate]}


def _older_pending(event: OutboxEvent) -> QuerySet[OutboxEvent]:
    return OutboxEvent.objects.filter(
        aggregate_id=event.aggregate_id,
        delivered_at__isnull=True,
        position__lt=event.position,
    )


def _deliver(event: OutboxEvent, *, app: Celery, producer: Producer) -> Exception | None:
    """Send ``event`` to every routed queue and record the outcome on its (locked) row."""
    envelope = dict(envelope_of(event))
    try:
        for queue in conf.routes().get(event.event_type, []):
            send_envelope(app=app, envelope=envelope, queue=queue, producer=producer)
    except Exception as exc:
        event.attempts += 1
        event.last_error = "".join(traceback.format_exception_only(exc))[:_LAST_ERROR_LIMIT]
        event.save(update_fields=["attempts", "last_error", "updated_at"])
        RELAY_FAILURES.labels(event.event_type).inc()
        logger.warning(
            "event_relay_failed",
            event_id=str(event.id),
            event_type=event.event_type,
            attempts=event.attempts,
            error=event.last_error,
        )
        return exc
    event.attempts += 1
    event.delivered_at = timezone.now()
    event.save(update_fields=["attempts", "delivered_at", "updated_at"])
    EVENTS_RELAYED.labels(event.event_type).inc()
    return None
