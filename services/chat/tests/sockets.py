"""WebSocket test helpers: communicators on the real ASGI stack and the real Redis layer."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from channels.testing import WebsocketCommunicator

from chassis.testing.tokens import mint_access_token
from chat_service.asgi import application


def connect_to(
    slug: str,
    *,
    token: str | None = None,
    via: str = "subprotocol",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> WebsocketCommunicator:
    """A communicator for ``/ws/chat/<slug>/`` carrying ``token`` the way ``via`` says."""
    path = f"/ws/chat/{slug}/"
    subprotocols: list[str] = []
    if token is not None and via == "subprotocol":
        subprotocols = ["bearer", token]
    elif token is not None:
        path += f"?token={token}"
    return WebsocketCommunicator(application, path, headers=headers, subprotocols=subprotocols)


async def join(
    slug: str, user_id: uuid.UUID, *, role: str = "user", via: str = "subprotocol"
) -> WebsocketCommunicator:
    """An accepted, admitted socket, with the presence frame of its own join read."""
    socket = connect_to(slug, token=mint_access_token(user_id=user_id, role=role), via=via)
    connected, _ = await socket.connect(timeout=3)
    assert connected
    presence = await next_frame(socket, "presence")
    assert str(user_id) in presence["online"]
    return socket


async def next_frame(
    socket: WebsocketCommunicator, kind: str, timeout: float = 3
) -> dict[str, Any]:
    """The next frame of type ``kind``, skipping presence updates of other joins."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        output = await socket.receive_output(max(0.01, deadline - loop.time()))
        assert output["type"] == "websocket.send", output
        frame = json.loads(output["text"])
        if frame["type"] == kind:
            return frame
        assert frame["type"] == "presence", f"expected {kind}, got {frame}"


async def expect_close(socket: WebsocketCommunicator, code: int, timeout: float = 3) -> None:
    """The server closes with ``code`` (frames before the close are skipped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        output = await socket.receive_output(max(0.01, deadline - loop.time()))
        if output["type"] == "websocket.close":
            assert output.get("code") == code, output
            await socket.disconnect(code)
            return


async def expect_silence(socket: WebsocketCommunicator, timeout: float = 0.3) -> None:
    """Nothing but presence updates arrives for ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := deadline - loop.time()) > 0:
        if await socket.receive_nothing(timeout=left):
            return
        output = await socket.receive_output()
        assert output["type"] == "websocket.send", output
        assert json.loads(output["text"])["type"] == "presence", output
