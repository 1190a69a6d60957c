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
from chassis.auth.roles import STAFF_ROLES, Role
from chat_service.rooms import selectors
from chat_service.rooms.models import Message, Room


@dataclass(frozen=True)
class MemberRef:
    """The object of DELETE .../members/{user_id}: a room and one user in it."""

    room: Room
    user_id: uuid.UUID


def _caller_id(request: Request) -> uuid.UUID:
    return cast(TokenUser, request.user).id


def _is_staff(request: Request) -> bool:
    return getattr(request.user, "role", None) in STAFF_ROLES


class IsRoomOwnerOrAdmin(BasePermission):
    message = "Only the room's owner or an administrator may do this."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        assert isinstance(obj, Room)
        return getattr(request.user, "role", None) == Role.ADMIN or obj.owner_id == _caller_id(
            request
        )


class CanReadRoom(BasePermission):
    message = "Only members, moderators and administrators may read this room."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        assert isinstance(obj, Room)
        return _is_staff(request) or selectors.is_member(room=obj, user_id=_caller_id(request))


class CanRemoveMember(BasePermission):
    message = "Only the member themself, the owner, moderators and administrators may do this."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        assert isinstance(obj, MemberRef)
        caller = _caller_id(request)
        return _is_staff(request) or caller in (obj.user_id, obj.room.owner_id)


class CanDeleteMessage(BasePermission):
    message = "Only the sender, moderators and administrators may delete a message."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        assert isinstance(obj, Message)
        return _is_staff(request) or obj.sender_id == _caller_id(request)
