"""Event envelopes for tests that hand an event straight to a consumer."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone

from chassis.events import Envelope


def make_envelope(
    event_type: str,
    payload: dict[str, Any],
    *,
    producer: str = "tests",
    occurred_at: str | None = None,
    aggregate_id: str | None = None,
) -> Envelope:
    """A fresh envelope (new id) as the relay would deliver it.

    The aggregate defaults to the payload's ``user_id``, as the platform's events use it.
    """
    return Envelope(
        id=str(uuid.uuid4()),
        type=event_type,
        occurred_at=occurred_at or timezone.now().isoformat(),
        producer=producer,
        payload=payload,
        request_id=None,
        aggregate_id=aggregate_id or payload.get("user_id"),
    )
