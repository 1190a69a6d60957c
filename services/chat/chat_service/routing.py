"""WebSocket routes of the chat service (``/ws/chat/<slug>/``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the stub-only alias names what URLRouter accepts
    from channels.routing import URLRouter, _ExtendedURLPattern

websocket_urlpatterns: list[_ExtendedURLPattern | URLRouter] = []
