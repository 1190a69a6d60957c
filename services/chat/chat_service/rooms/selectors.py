"""Reads of rooms, memberships and messages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet

from chassis.errors import NotFound
from chat_service.rooms import frames
from chat_service.rooms.directory import sender_names
from chat_service.rooms.models import SLUG_PATTERN, Membership, Message, Room

_SLUG = re.compile(SLUG_PATTERN)


def room_get(*, slug: str) -> Room:
    if not _SLUG.match(slug):
        raise NotFound("No room with this slug.")
    try:
        return Room.objects.get(slug=slug)
    except Room.DoesNotExist as exc:
        raise NotFound("No room with this slug.") from exc


def room_exists(*, slug: str) -> bool:
    return Room.objects.filter(slug=slug).exists()


def rooms_visible_to(*, user_id: uuid.UUID) -> QuerySet[Room]:
    """Public rooms and the private rooms ``user_id`` belongs to, newest first."""
    mine = Membership.objects.filter(user_id=user_id).values("room_id")
    return Room.objects.filter(Q(is_private=False) | Q(id__in=mine)).order_by("-created_at", "-id")


def membership_find(*, room: Room, user_id: uuid.UUID) -> Membership | None:
    return Membership.objects.filter(room=room, user_id=user_id).first()


def is_member(*, room: Room, user_id: uuid.UUID) -> bool:
    return Membership.objects.filter(room=room, user_id=user_id).exists()


def room_messages(*, room: Room) -> QuerySet[Message]:
    """The room's live (not deleted) messages, newest first: the history cursor's order."""
    return Message.objects.filter(room=room, deleted_at__isnull=True).order_by("-created_at", "-id")


def message_get(*, room: Room, message_id: uuid.UUID | str) -> Message:
    try:
        return Message.objects.get(room=room, pk=message_id, deleted_at__isnull=True)
    except (Message.DoesNotExist, ValueError) as exc:
        raise NotFound("No message with this id in this room.") from exc


def message_by_client_id(*, room: Room, sender_id: uuid.UUID, client_id: str) -> Message | None:
    return Message.objects.filter(room=room, sender_id=sender_id, client_id=client_id).first()


def messages_as_sent(*, room: Room, messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages rendered as ``message.new`` carried them, with today's sender names."""
    names = sender_names(user_ids=[message.sender_id for message in messages])
    return [
        frames.message_data(message, room_slug=room.slug, sender_name=names[str(message.sender_id)])
        for message in messages
    ]
