"""The chat REST API (CONTRACT section 4): thin views over the room selectors and services."""

from __future__ import annotations

import uuid
from typing import cast

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chassis.auth.authentication import TokenUser
from chassis.pagination import CursorPagination
from chat_service.rooms import selectors, services
from chat_service.rooms.models import Room
from chat_service.rooms.permissions import (
    CanDeleteMessage,
    CanReadRoom,
    CanRemoveMember,
    IsRoomOwnerOrAdmin,
    MemberRef,
)
from chat_service.rooms.serializers import (
    MemberAddInput,
    MessageOutput,
    RoomCreateInput,
    RoomOutput,
)

PAGE_SIZE = OpenApiParameter("page_size", int, description="1-100, 20 by default")
CURSOR = OpenApiParameter("cursor", str, description="From the previous page's next/previous")


def _caller(request: Request) -> TokenUser:
    return cast(TokenUser, request.user)


class _RoomView(APIView):
    """A view about one room: finds it (404) and checks the class's permissions on it."""

    def room(self, request: Request, slug: str) -> Room:
        room = selectors.room_get(slug=slug)
        self.check_object_permissions(request, room)
        return room


class RoomListView(APIView):
    @extend_schema(
        parameters=[PAGE_SIZE, CURSOR],
        responses=RoomOutput(many=True),
        summary="Public rooms and the private rooms the caller belongs to, newest first",
    )
    def get(self, request: Request) -> Response:
        paginator = CursorPagination()
        rooms = selectors.rooms_visible_to(user_id=_caller(request).id)
        page = paginator.paginate_queryset(rooms, request, view=self)
        # many=True takes a list; drf-stubs types only the single-instance form.
        return paginator.get_paginated_response(RoomOutput(page, many=True).data)  # type: ignore[arg-type]

    @extend_schema(
        request=RoomCreateInput,
        responses={201: RoomOutput},
        summary="Create a room; the caller becomes its owner and first member",
    )
    def post(self, request: Request) -> Response:
        given = RoomCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        room = services.room_create(owner_id=_caller(request).id, **given.validated_data)
        return Response(RoomOutput(room).data, status=status.HTTP_201_CREATED)


class RoomJoinView(_RoomView):
    @extend_schema(request=None, responses={204: None}, summary="Join a public room")
    def post(self, request: Request, slug: str) -> Response:
        services.room_join(room=self.room(request, slug), user_id=_caller(request).id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomMembersView(_RoomView):
    permission_classes = [IsAuthenticated, IsRoomOwnerOrAdmin]

    @extend_schema(
        request=MemberAddInput,
        responses={204: None},
        summary="Add a user to the room (owner, admins)",
    )
    def post(self, request: Request, slug: str) -> Response:
        room = self.room(request, slug)
        given = MemberAddInput(data=request.data)
        given.is_valid(raise_exception=True)
        services.member_add(room=room, user_id=given.validated_data["user_id"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomMemberView(APIView):
    permission_classes = [IsAuthenticated, CanRemoveMember]

    @extend_schema(
        responses={204: None},
        summary="Remove a member (themself, the owner, moderators, admins)",
    )
    def delete(self, request: Request, slug: str, user_id: str) -> Response:
        target = MemberRef(room=selectors.room_get(slug=slug), user_id=uuid.UUID(user_id))
        self.check_object_permissions(request, target)
        services.member_remove(room=target.room, user_id=target.user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomMessagesView(_RoomView):
    permission_classes = [IsAuthenticated, CanReadRoom]

    @extend_schema(
        parameters=[PAGE_SIZE, CURSOR],
        responses=MessageOutput(many=True),
        summary="The room's history, newest first (members, moderators, admins)",
    )
    def get(self, request: Request, slug: str) -> Response:
        room = self.room(request, slug)
        paginator = CursorPagination()
        page = paginator.paginate_queryset(selectors.room_messages(room=room), request, view=self)
        return paginator.get_paginated_response(
            selectors.messages_as_sent(room=room, messages=page or [])
        )


class RoomMessageView(APIView):
    permission_classes = [IsAuthenticated, CanDeleteMessage]

    @extend_schema(
        responses={204: None},
        summary="Delete a message (its sender, moderators, admins); the room is told",
    )
    def delete(self, request: Request, slug: str, message_id: str) -> Response:
        room = selectors.room_get(slug=slug)
        message = selectors.message_get(room=room, message_id=message_id)
        self.check_object_permissions(request, message)
        services.message_delete(message=message, actor_id=_caller(request).id)
        return Response(status=status.HTTP_204_NO_CONTENT)
