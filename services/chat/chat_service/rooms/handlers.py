"""Events chat consumes (routed to its queue by chassis.settings.EVENT_ROUTES).

Closing sockets and forgetting a cached name happen after the handler's transaction
commits, so a handler that fails and is retried has not acted yet; both tolerate a repeat.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import structlog
from django.db import transaction

from chassis.events import Envelope, subscribe
from chassis.realtime import close_user_sockets
from chat_service.rooms.directory import forget_sender_name

logger = structlog.get_logger(__name__)


def _unix_time(value: Any) -> float | None:
    """A moment given as a Unix time or an ISO 8601 string; ``None`` when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return None
    return None


def _close_sockets(envelope: Envelope, *, issued_before: float | None) -> None:
    user_id = envelope["payload"]["user_id"]
    logger.info(
        "closing_user_sockets",
        event_type=envelope["type"],
        user_id=user_id,
        issued_before=issued_before,
    )
    transaction.on_commit(partial(close_user_sockets, user_id=user_id, issued_before=issued_before))


@subscribe("auth.sessions_revoked")
def close_revoked_sessions_sockets(envelope: Envelope) -> None:
    # Sockets opened with a token issued after the revocation (a fresh login) stay open;
    # an unreadable moment closes them all.
    _close_sockets(envelope, issued_before=_unix_time(envelope["payload"].get("revoked_before")))


@subscribe("users.role_changed")
def close_sockets_on_role_change(envelope: Envelope) -> None:
    # Tokens issued before the change carry the old role; a socket reopened with a new
    # token (new role) stays.
    _close_sockets(envelope, issued_before=_unix_time(envelope["occurred_at"]))


@subscribe("users.user_deactivated")
def close_sockets_on_deactivation(envelope: Envelope) -> None:
    _close_sockets(envelope, issued_before=None)


@subscribe("users.user_updated")
def forget_renamed_sender(envelope: Envelope) -> None:
    if "name" in envelope["payload"].get("changed", ["name"]):
        user_id = envelope["payload"]["user_id"]
        transaction.on_commit(partial(forget_sender_name, user_id=user_id))
