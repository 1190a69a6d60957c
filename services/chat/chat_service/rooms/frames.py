"""The server frames of CONTRACT section 4, as plain dicts: one shape for REST and WebSocket.

History (REST) and live delivery (WebSocket) render a message with the same
:func:`message_data`, so what a page shows is exactly what was broadcast.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from chat_service.rooms.models import Message


def encode(frame: dict[str, Any]) -> str:
    """A frame as its socket text: compact, ASCII-only JSON (the outbox counts bytes)."""
    return json.dumps(frame, separators=(",", ":"))


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as DRF renders datetimes."""
    text = moment.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def message_data(message: Message, *, room_slug: str, sender_name: str | None) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "room": room_slug,
        "sender": {"id": str(message.sender_id), "name": sender_name},
        "body": message.body,
        "created_at": iso(message.created_at),
    }


def message_new(data: dict[str, Any], *, client_id: str | None) -> dict[str, Any]:
    return {"type": "message.new", "message": data, "client_id": client_id}


def message_deleted(message_id: uuid.UUID) -> dict[str, Any]:
    return {"type": "message.deleted", "id": str(message_id)}


def presence(online: list[str]) -> dict[str, Any]:
    return {"type": "presence", "online": online}


def typing(user_id: uuid.UUID) -> dict[str, Any]:
    return {"type": "typing", "user_id": str(user_id)}


def pong() -> dict[str, Any]:
    return {"type": "pong"}


def error(code: str, message: str, *, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if errors:
        frame["errors"] = errors
    return frame
