"""Who may do what to a room, as DRF object permissions.

Each view checks the room (or the message, or the member) it is about with
``check_object_permissions`` once it has found it; a missing room is a 404 before any 403.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from chassis.auth.authentication import TokenUser
from chat_service.rooms import selectors
from chat_service.rooms.models import Message, Room


@dataclass(frozen=True)
class MemberRef:
    """The object of DELETE .../members/{user_id}: a room and one user in it."""

    room: Room
    user_id: uuid.UUID


def _caller(request: Request) -> TokenUser:
    return cast(TokenUser, request.user)


class IsRoomOwnerOrAdmin(BasePermission):
    message = "Only the room's owner or an administrator may do this."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        assert isinstance(obj, Room)
        caller = _caller(request)
        return caller.is_admin or obj.owner_id == caller.id


class CanReadRoom(BasePermission):
    message = "Only members, moderators and administrators may read this room."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        assert isinstance(obj, Room)
        caller = _caller(request)
        return caller.is_staff or selectors.is_member(room=obj, user_id=caller.id)


class CanRemoveMember(BasePermission):
    message = "Only the member themself, the owner, moderators and administrators may do this."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        assert isinstance(obj, MemberRef)
        caller = _caller(request)
        return caller.is_staff or caller.id in (obj.user_id, obj.room.owner_id)


class CanDeleteMessage(BasePermission):
    message = "Only the sender, moderators and administrators may delete a message."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        assert isinstance(obj, Message)
        caller = _caller(request)
        return caller.is_staff or obj.sender_id == caller.id
