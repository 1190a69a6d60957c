"""Running this service's handlers for one delivered event, each at most once."""

from __future__ import annotations

import random
import traceback
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

import structlog
from django.db import transaction

from chassis.events import conf
from chassis.events.envelope import Envelope
from chassis.events.models import ProcessedEvent
from chassis.events.registry import Handler, handlers_for
from chassis.observability.metrics import EVENTS_CONSUMED

logger = structlog.get_logger(__name__)

_ERROR_LIMIT = 10_000


@dataclass(frozen=True)
class HandlerFailure:
    """A handler that raised, with the formatted traceback."""

    handler: str
    error: str


def consume(envelope: Envelope, *, only: Collection[str] | None = None) -> list[HandlerFailure]:
    """Run the handlers subscribed to the envelope's type; return those that failed.

    Each handler runs in its own transaction with its inbox row, so one that has already
    succeeded for this event is skipped (a duplicate delivery, or a retry of another
    handler), and one that fails leaves no trace. ``only`` limits the run to those handler
    names (retries and replays).
    """
    event_type = envelope["type"]
    handlers = handlers_for(event_type)
    if not handlers:
        logger.info("event_ignored", event_id=envelope["id"], event_type=event_type)
        return []
    if only is not None:
        unknown = set(only) - handlers.keys()
        if unknown:
            logger.warning(
                "event_handlers_unknown", event_id=envelope["id"], handlers=sorted(unknown)
            )
        handlers = {name: handler for name, handler in handlers.items() if name in only}
    failures = []
    for name, handler in handlers.items():
        try:
            outcome = _run_once(envelope, name=name, handler=handler)
        except Exception as exc:
            logger.warning(
                "event_handler_failed",
                event_id=envelope["id"],
                event_type=event_type,
                handler=name,
                exc_info=True,
            )
            error = "".join(traceback.format_exception(exc))[-_ERROR_LIMIT:]
            failures.append(HandlerFailure(handler=name, error=error))
            continue
        EVENTS_CONSUMED.labels(event_type, outcome).inc()
        logger.info(
            "event_handled",
            event_id=envelope["id"],
            event_type=event_type,
            handler=name,
            outcome=outcome,
        )
    return failures


def _run_once(
    envelope: Envelope, *, name: str, handler: Handler
) -> Literal["handled", "duplicate"]:
    with transaction.atomic():
        # A concurrent delivery of the same event blocks on the unique (event, handler)
        # row until this transaction ends, then finds it: the handler runs once.
        _, created = ProcessedEvent.objects.get_or_create(
            event_id=envelope["id"], handler=name, defaults={"event_type": envelope["type"]}
        )
        if not created:
            return "duplicate"
        handler(envelope)
    return "handled"


def retry_delay(*, attempt: int) -> float:
    """Seconds before retry number ``attempt + 1``: exponential, capped, with jitter.

    The upper half of the delay is random so that handlers failing together (a database
    blip) do not retry in lockstep.
    """
    ceiling = min(conf.retry_backoff_max(), conf.retry_backoff() * 2**attempt)
    return float(ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311 - jitter, not a secret
