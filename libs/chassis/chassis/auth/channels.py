"""Channels middleware: authenticate a WebSocket by its access token.

The token comes in the ``Sec-WebSocket-Protocol`` header as ``bearer, <token>`` (browsers
cannot set Authorization on a WebSocket) or as ``?token=``. The middleware never closes
the socket itself: it sets ``scope["user"]`` (or ``None``) and ``scope["auth_error"]``,
and the consumer accepts and then closes with 4401, which browsers can read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.middleware import BaseMiddleware

from chassis.auth.authentication import TokenUser
from chassis.auth.tokens import TokenError, verify_access_token

BEARER_SUBPROTOCOL = "bearer"


def token_from_scope(scope: dict[str, Any]) -> tuple[str | None, bool]:
    """The token and whether it came through the ``bearer`` subprotocol."""
    protocols = [p.strip() for p in scope.get("subprotocols") or []]
    if len(protocols) >= 2 and protocols[0].lower() == BEARER_SUBPROTOCOL:
        return protocols[1], True
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    tokens = query.get("token")
    return (tokens[0], False) if tokens else (None, False)


class TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        token, via_subprotocol = token_from_scope(scope)
        user: TokenUser | None = None
        error: str | None = None
        if token is None:
            error = "not_authenticated"
        else:
            try:
                # The JWKS fetch (rare) and the revocation read are blocking I/O.
                claims = await sync_to_async(verify_access_token, thread_sensitive=False)(token)
                user = TokenUser(claims=claims)
            except TokenError as exc:
                error = exc.code
        scope = {
            **scope,
            "user": user,
            "auth_error": error,
            "auth_subprotocol": BEARER_SUBPROTOCOL if via_subprotocol else None,
        }
        return await super().__call__(scope, receive, send)
