from __future__ import annotations

from typing import Any

from rest_framework import serializers

from chat_service.rooms.models import SLUG_PATTERN, Room


class RoomCreateInput(serializers.Serializer[dict[str, Any]]):
    slug = serializers.RegexField(SLUG_PATTERN, max_length=63)
    name = serializers.CharField(min_length=1, max_length=120)
    is_private = serializers.BooleanField(default=False)


class RoomOutput(serializers.Serializer[Room]):
    slug = serializers.CharField()
    name = serializers.CharField()
    is_private = serializers.BooleanField()
    owner_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()


class MemberAddInput(serializers.Serializer[dict[str, Any]]):
    user_id = serializers.UUIDField()


class SenderOutput(serializers.Serializer[dict[str, Any]]):
    id = serializers.UUIDField()
    name = serializers.CharField(
        allow_null=True, help_text="Null while the directory is unreachable."
    )


class MessageOutput(serializers.Serializer[dict[str, Any]]):
    """Documents ``frames.message_data``, which renders messages for REST and WebSocket alike."""

    id = serializers.UUIDField()
    room = serializers.CharField(help_text="The room's slug.")
    sender = SenderOutput()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
