"""The envelope every event travels in, from the outbox to each consumer."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any, TypedDict

from chassis.events import conf

if TYPE_CHECKING:  # importable before the app registry is ready, for handler modules
    from chassis.events.models import OutboxEvent


class Envelope(TypedDict):
    """What a handler receives. Plain JSON types only: it crosses the broker as JSON."""

    id: str
    type: str
    occurred_at: str  # ISO 8601, UTC
    producer: str
    payload: dict[str, Any]
    request_id: str | None
    aggregate_id: str | None


REQUIRED_KEYS = frozenset(Envelope.__required_keys__)


def envelope_of(event: OutboxEvent) -> Envelope:
    """The envelope of an outbox row, as its consumers will receive it."""
    return Envelope(
        id=str(event.id),
        type=event.event_type,
        occurred_at=event.created_at.astimezone(UTC).isoformat(),
        producer=conf.service(),
        payload=event.payload,
        request_id=event.request_id or None,
        aggregate_id=event.aggregate_id or None,
    )


def is_envelope(value: object) -> bool:
    """Whether ``value`` has every key of an envelope (messages come from outside the process)."""
    return isinstance(value, dict) and value.keys() >= REQUIRED_KEYS
