"""``publish()``: write an event to the outbox in the caller's transaction."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection, transaction

from chassis.events.models import OutboxEvent
from chassis.events.relay import relay_after_commit
from chassis.observability.context import get_request_id


class PublishOutsideTransaction(RuntimeError):
    """``publish()`` was called outside ``transaction.atomic``.

    The outbox row must commit or roll back with the state change it announces; in
    autocommit it would be written even if that change later failed.
    """


def publish(
    event_type: str, payload: dict[str, Any], *, aggregate_id: str | None = None
) -> OutboxEvent:
    """Write ``event_type`` with ``payload`` to the outbox of the current transaction.

    After the commit the event is sent to its consumers at once when the broker is up,
    by the relay sweep otherwise; nothing is sent if the transaction rolls back. Events
    with the same ``aggregate_id`` reach each consumer queue in the order they were
    published. The request id bound now travels with the event.

    Raises :class:`PublishOutsideTransaction` outside ``transaction.atomic`` and
    ``TypeError`` when ``payload`` is not a JSON object.
    """
    if not connection.in_atomic_block:
        raise PublishOutsideTransaction(
            f"publish({event_type!r}) must run inside transaction.atomic() so the event "
            "commits or rolls back with the change it announces."
        )
    event = OutboxEvent(
        event_type=event_type,
        payload=_json_object(payload),
        aggregate_id=aggregate_id or "",
        request_id=get_request_id() or "",
    )
    event.full_clean(validate_unique=False)  # a fresh uuid4 key: no query to check it
    event.save(force_insert=True)
    # The relay never raises into the committing code: a broker outage leaves the row
    # for the sweep.
    transaction.on_commit(
        lambda: relay_after_commit(event_id=event.id, event_type=event.event_type), robust=True
    )
    return event


def _json_object(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` as consumers will see it after the JSON round trip, or ``TypeError``."""
    if not isinstance(payload, dict):
        raise TypeError(f"An event payload must be a dict, not {type(payload).__name__}.")
    try:
        # No NaN or Infinity: they are not JSON and other languages' parsers reject them.
        encoded = json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"An event payload must be JSON-serialisable: {exc}") from exc
    decoded: dict[str, Any] = json.loads(encoded)
    return decoded
