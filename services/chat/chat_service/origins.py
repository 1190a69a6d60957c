"""Which browser pages may open a chat WebSocket.

Sockets authenticate with a bearer token, never a cookie, so a foreign page cannot ride on
a user's session (no cross-site WebSocket hijacking); the Origin check is a second fence
for browsers. A handshake without ``Origin`` comes from a non-browser client (a script, a
mobile app) and is let through to the token check; one with an ``Origin`` must name a host
in ``ALLOWED_HOSTS`` (the gateway's own pages) or an origin in ``CORS_ALLOWED_ORIGINS``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult

from channels.security.websocket import OriginValidator
from django.conf import settings


class BrowserOriginValidator(OriginValidator):
    def __init__(self, application: Any) -> None:
        super().__init__(application, allowed_origins=[])

    @property  # type: ignore[override]
    def allowed_origins(self) -> list[str]:
        # Read per handshake (cheap), so the settings in force are the ones applied.
        return [*settings.ALLOWED_HOSTS, *settings.CORS_ALLOWED_ORIGINS]

    @allowed_origins.setter
    def allowed_origins(self, value: list[str]) -> None:
        pass  # OriginValidator.__init__ sets it; the settings stay the source

    def valid_origin(self, parsed_origin: ParseResult | None) -> bool:
        if parsed_origin is None:
            return True
        return bool(self.validate_origin(parsed_origin))
