"""One room, 200 sockets, one broadcast: each socket gets it exactly once (not a timing)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from prometheus_client import REGISTRY

from chassis.testing.tokens import mint_access_token
from chat_service.rooms.database import database_call
from tests.factories import make_room
from tests.sockets import connect_to

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("warm_layer"),
]

SOCKETS = 200


async def drain(socket, *, quiet: float) -> list[dict]:
    """Every frame until the socket has been quiet for ``quiet`` seconds."""
    frames = []
    while not await socket.receive_nothing(timeout=quiet):
        output = await socket.receive_output()
        assert output["type"] == "websocket.send", output
        frames.append(json.loads(output["text"]))
    return frames


async def test_each_of_200_sockets_receives_one_broadcast_exactly_once():
    room = await database_call(make_room)()
    users = [uuid.uuid4() for _ in range(SOCKETS)]
    sockets = [connect_to(room.slug, token=mint_access_token(user_id=u)) for u in users]
    for start in range(0, SOCKETS, 25):
        accepted = await asyncio.gather(
            *(s.connect(timeout=10) for s in sockets[start : start + 25])
        )
        assert all(connected for connected, _ in accepted)
    dropped = REGISTRY.get_sample_value(
        "chat_broadcasts_dropped_total", {"reason": "layer_capacity"}
    )
    # Everyone has joined once the last join's presence lists all 200 (joins are serialised
    # by the presence version: no socket sends an older list after a newer one).
    everyone = sorted(str(u) for u in users)
    for socket in sockets:
        while True:
            frame = json.loads(await socket.receive_from(timeout=20))
            assert frame["type"] == "presence"
            if frame["online"] == everyone:
                break

    await sockets[0].send_json_to({"type": "message.send", "body": "to all", "client_id": "one"})

    received = await asyncio.gather(*(drain(s, quiet=1.0) for s in sockets))
    for index, frames in enumerate(received):
        news = [frame for frame in frames if frame["type"] == "message.new"]
        assert len(news) == 1, (index, frames)
        assert news[0]["message"]["body"] == "to all"
        assert news[0]["client_id"] == ("one" if index == 0 else None)
    ids = {frames[-1]["message"]["id"] for frames in received if frames}
    assert len(ids) == 1
    assert (
        REGISTRY.get_sample_value("chat_broadcasts_dropped_total", {"reason": "layer_capacity"})
        == dropped
    )
    await asyncio.gather(*(s.disconnect() for s in sockets))
