"""Rooms and messages made through the service functions, as the API makes them."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable

from chat_service.rooms import services
from chat_service.rooms.models import Membership, Message, Room

_numbers = itertools.count(1)


def make_room(
    *,
    owner_id: uuid.UUID | None = None,
    slug: str | None = None,
    is_private: bool = False,
    members: Iterable[uuid.UUID] = (),
) -> Room:
    n = next(_numbers)
    room = services.room_create(
        owner_id=owner_id or uuid.uuid4(),
        slug=slug or f"room-{n}",
        name=f"Room {n}",
        is_private=is_private,
    )
    for user_id in members:
        Membership.objects.get_or_create(room=room, user_id=user_id)
    return room


def make_message(*, room: Room, sender_id: uuid.UUID, body: str = "hello") -> Message:
    Membership.objects.get_or_create(room=room, user_id=sender_id)
    return services.message_post(room=room, sender_id=sender_id, body=body)
