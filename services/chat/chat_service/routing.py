"""WebSocket routes of the chat service (``/ws/chat/<slug>/``, with or without the slash)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.urls import re_path

from chat_service.rooms.consumers import chat_socket

if TYPE_CHECKING:  # the stub-only alias names what URLRouter accepts
    from channels.routing import URLRouter, _ExtendedURLPattern

# Any slug reaches the consumer, which answers one that names no room with 4404 (a path
# with no route would be refused before the handshake, with no code a browser can read).
websocket_urlpatterns: list[_ExtendedURLPattern | URLRouter] = [
    # django-stubs types re_path for HTTP views only.
    cast("_ExtendedURLPattern", re_path(r"^ws/chat/(?P<slug>[^/]+)/?$", chat_socket)),  # type: ignore[arg-type]
]
