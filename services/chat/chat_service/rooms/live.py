"""Room events that live only on sockets (presence, typing): nothing is stored in Postgres.

Async, for the consumer. Presence reads and writes Redis in a worker thread (not the
thread Django's database calls share) and then tells the room.
"""

from __future__ import annotations

import uuid

from asgiref.sync import sync_to_async

from chat_service.rooms import broadcasting, frames
from chat_service.rooms.presence import (
    Presence,
    presence_enter,
    presence_leave,
    presence_refresh,
)


async def _announce(room_id: uuid.UUID, presence: Presence) -> None:
    await broadcasting.asend_to_room(
        room_id,
        {
            "type": broadcasting.ROOM_PRESENCE,
            "frame": frames.presence(presence.online),
            "version": presence.version,
        },
    )


async def socket_joined(*, room_id: uuid.UUID, user_id: uuid.UUID, channel: str) -> None:
    presence = await sync_to_async(presence_enter, thread_sensitive=False)(
        room_id=room_id, user_id=user_id, channel=channel
    )
    await _announce(room_id, presence)


async def socket_left(*, room_id: uuid.UUID, user_id: uuid.UUID, channel: str) -> None:
    presence = await sync_to_async(presence_leave, thread_sensitive=False)(
        room_id=room_id, user_id=user_id, channel=channel
    )
    await _announce(room_id, presence)


async def socket_alive(*, room_id: uuid.UUID, user_id: uuid.UUID, channel: str) -> None:
    """Refresh the socket's presence; announce when that found expired entries (or its own)."""
    presence = await sync_to_async(presence_refresh, thread_sensitive=False)(
        room_id=room_id, user_id=user_id, channel=channel
    )
    if presence is not None:
        await _announce(room_id, presence)


async def typing_announce(*, room_id: uuid.UUID, user_id: uuid.UUID, origin: str) -> None:
    """Tell the room's other sockets that ``user_id`` is typing."""
    await broadcasting.asend_to_room(
        room_id,
        {"type": broadcasting.ROOM_FRAME, "frame": frames.typing(user_id), "exclude": origin},
    )
