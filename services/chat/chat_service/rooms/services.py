"""Business rules for rooms, memberships and messages.

Every state change commits first and reaches sockets after the commit
(``transaction.on_commit``): a socket never sees what a rollback undid, and history always
holds what was broadcast.
"""

from __future__ import annotations

import uuid
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from chassis.errors import Conflict, Forbidden, NotFound
from chassis.events import publish
from chat_service.rooms import broadcasting, frames, selectors
from chat_service.rooms.directory import sender_name, user_exists
from chat_service.rooms.models import Membership, Message, Room


@transaction.atomic
def room_create(*, owner_id: uuid.UUID, slug: str, name: str, is_private: bool = False) -> Room:
    """Create a room; its creator becomes its owner and first member."""
    if selectors.room_exists(slug=slug):
        raise Conflict("A room with this slug already exists.", code="slug_taken")
    room = Room(slug=slug, name=name, is_private=is_private, owner_id=owner_id)
    room.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            room.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent create won the slug
        raise Conflict("A room with this slug already exists.", code="slug_taken") from exc
    Membership.objects.create(room=room, user_id=owner_id, role=Membership.Role.OWNER)
    return room


def room_join(*, room: Room, user_id: uuid.UUID) -> Membership:
    """Join a public room (idempotent); a private room admits its members only."""
    if not room.is_private:
        membership, _ = Membership.objects.get_or_create(room=room, user_id=user_id)
        return membership
    member = selectors.membership_find(room=room, user_id=user_id)
    if member is None:
        raise Forbidden("This room is private.", code="forbidden")
    return member


def room_enter(*, slug: str, user_id: uuid.UUID) -> Room:
    """What a WebSocket does on connect: find the room and join it (public) or be a member."""
    room = selectors.room_get(slug=slug)
    room_join(room=room, user_id=user_id)
    return room


def member_add(*, room: Room, user_id: uuid.UUID) -> Membership:
    """Add a user the directory knows to the room (idempotent)."""
    if not user_exists(user_id=user_id):
        raise NotFound("No user with this id.")
    membership, _ = Membership.objects.get_or_create(room=room, user_id=user_id)
    return membership


@transaction.atomic
def member_remove(*, room: Room, user_id: uuid.UUID) -> None:
    """Remove a member; their sockets in the room close with 4403. The owner stays."""
    membership = selectors.membership_find(room=room, user_id=user_id)
    if membership is None:
        raise NotFound("This user is not a member of the room.")
    if membership.role == Membership.Role.OWNER:
        raise Conflict("The owner cannot leave or be removed.", code="owner_cannot_be_removed")
    membership.delete()
    transaction.on_commit(
        partial(
            broadcasting.send_to_user,
            user_id,
            {"type": broadcasting.MEMBERSHIP_ENDED, "room_id": str(room.id)},
        ),
        robust=True,
    )


def message_post(
    *,
    room: Room,
    sender_id: uuid.UUID,
    body: str,
    client_id: str | None = None,
    origin: str | None = None,
) -> Message:
    """Store a message, then broadcast it to the room's sockets.

    ``origin`` is the sender's channel: its socket's ``message.new`` carries ``client_id``
    (the acknowledgement). A resend with a ``client_id`` already stored is acknowledged to
    the sender again and stored nowhere.
    """
    if not selectors.is_member(room=room, user_id=sender_id):
        raise Forbidden("Only members may post in this room.", code="not_a_member")
    # Asked before the transaction opens: no row lock waits on the users service.
    name = sender_name(user_id=sender_id)
    resend = partial(_acknowledge_if_stored, room=room, sender_id=sender_id, name=name)
    if client_id is not None and (earlier := resend(client_id=client_id, origin=origin)):
        return earlier
    try:
        return _store_and_broadcast(
            room=room, sender_id=sender_id, body=body, client_id=client_id, origin=origin, name=name
        )
    except IntegrityError:  # the same client_id, sent twice at once: the other one won
        assert client_id is not None
        if earlier := resend(client_id=client_id, origin=origin):
            return earlier
        raise


@transaction.atomic
def _store_and_broadcast(
    *,
    room: Room,
    sender_id: uuid.UUID,
    body: str,
    client_id: str | None,
    origin: str | None,
    name: str | None,
) -> Message:
    message = Message(room=room, sender_id=sender_id, body=body, client_id=client_id)
    message.full_clean(validate_unique=False, validate_constraints=False)
    message.save(force_insert=True)
    publish(
        "chat.message_posted",
        {"message_id": str(message.id), "room": room.slug, "sender_id": str(sender_id)},
        aggregate_id=str(room.id),
    )
    broadcast = _room_message(message, room=room, name=name, client_id=client_id, origin=origin)
    transaction.on_commit(partial(broadcasting.send_to_room, room.id, broadcast), robust=True)
    return message


def _room_message(
    message: Message, *, room: Room, name: str | None, client_id: str | None, origin: str | None
) -> dict[str, object]:
    data = frames.message_data(message, room_slug=room.slug, sender_name=name)
    return {
        "type": broadcasting.ROOM_MESSAGE,
        "text": frames.encode(frames.message_new(data, client_id=None)),
        "origin": origin,
        "client_id": client_id,
    }


def _acknowledge_if_stored(
    *, room: Room, sender_id: uuid.UUID, name: str | None, client_id: str, origin: str | None
) -> Message | None:
    """The message this ``client_id`` already stored, acknowledged to the sender again."""
    earlier = selectors.message_by_client_id(room=room, sender_id=sender_id, client_id=client_id)
    if earlier is not None and origin is not None:
        message = _room_message(earlier, room=room, name=name, client_id=client_id, origin=origin)
        broadcasting.send_to_channel(origin, message)
    return earlier


@transaction.atomic
def message_delete(*, message: Message, actor_id: uuid.UUID) -> None:
    """Soft-delete a message; the room's sockets get ``message.deleted``."""
    message.deleted_at = timezone.now()
    message.deleted_by = actor_id
    message.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    transaction.on_commit(
        partial(
            broadcasting.send_to_room,
            message.room_id,
            {"type": broadcasting.ROOM_FRAME, "frame": frames.message_deleted(message.id)},
        ),
        robust=True,
    )
