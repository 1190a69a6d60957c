"""Client frames: parsing and validation against each frame type's schema.

A frame is a JSON object whose ``type`` picks its schema; unknown fields are refused and
strings must be strings (no coercion), as a JSON Schema with ``additionalProperties:
false`` would have it. Anything else raises :class:`FrameError`, which the consumer sends
back as an ``error`` frame while the connection stays open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rest_framework import serializers

from chassis.errors.handler import validation_errors
from chat_service.rooms.models import CLIENT_ID_MAX, MESSAGE_BODY_MAX

# A message.send of 4000 characters, all escaped, fits well below this.
MAX_FRAME_CHARS = 32 * 1024


class FrameError(Exception):
    def __init__(self, code: str, message: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors


@dataclass(frozen=True)
class ClientFrame:
    type: str
    data: dict[str, Any]


class _StrictString(serializers.CharField):
    """A CharField that takes only JSON strings (DRF would turn 42 into "42")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class _FrameSchema(serializers.Serializer[dict[str, Any]]):
    type = serializers.CharField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return attrs


class MessageSendSchema(_FrameSchema):
    body = _StrictString(min_length=1, max_length=MESSAGE_BODY_MAX, trim_whitespace=False)
    client_id = _StrictString(
        max_length=CLIENT_ID_MAX, required=False, allow_null=True, allow_blank=False
    )

    def validate_body(self, body: str) -> str:
        if not body.strip():
            raise serializers.ValidationError("The body cannot be blank.")
        return body


class TypingSchema(_FrameSchema):
    pass


class PingSchema(_FrameSchema):
    pass


SCHEMAS: dict[str, type[_FrameSchema]] = {
    "message.send": MessageSendSchema,
    "typing": TypingSchema,
    "ping": PingSchema,
}


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_frame(text: str | None) -> ClientFrame:
    """The validated frame in ``text``; :class:`FrameError` when it is not one."""
    if text is None:
        raise FrameError("invalid_frame", "Frames must be text (JSON), not binary.")
    if len(text) > MAX_FRAME_CHARS:
        raise FrameError(
            "frame_too_large", f"A frame may have at most {MAX_FRAME_CHARS} characters."
        )
    try:
        payload = json.loads(text, parse_constant=_no_constants)
    except ValueError as exc:
        raise FrameError("invalid_json", "The frame is not valid JSON.") from exc
    if not isinstance(payload, dict):
        raise FrameError("invalid_frame", "A frame must be a JSON object.")
    kind = payload.get("type")
    schema = SCHEMAS.get(kind) if isinstance(kind, str) else None
    if schema is None or not isinstance(kind, str):
        raise FrameError(
            "unknown_type", f"Unknown frame type; expected one of: {', '.join(sorted(SCHEMAS))}."
        )
    given = schema(data=payload)
    if not given.is_valid():
        raise FrameError(
            "invalid_frame", "The frame is not valid.", errors=validation_errors(given.errors)
        )
    return ClientFrame(type=kind, data=dict(given.validated_data))
