from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer


class FanoutConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.group = f"bench.room.{self.scope['url_route']['kwargs']['slug']}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = json.loads(text_data or "{}")
        if frame.get("type") != "message.send":
            return
        # The contract's message.new frame, so one k6 script reads both servers.
        message = {
            "id": str(uuid.uuid4()),
            "room": self.group,
            "sender": {"id": "", "name": ""},
            "body": frame.get("body", ""),
            "created_at": datetime.now(UTC).isoformat(),
        }
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "chat.message",
                "frame": {"type": "message.new", "message": message},
                "origin": self.channel_name,
                "client_id": frame.get("client_id"),
            },
        )

    async def chat_message(self, event: dict[str, Any]) -> None:
        frame = event["frame"]
        if event.get("origin") == self.channel_name:
            frame = {**frame, "client_id": event.get("client_id")}
        await self.send(text_data=json.dumps(frame, separators=(",", ":")))
