"""The WebSocket end to end: a real uvicorn process on loopback, the real ``websockets`` client.

The server runs ``chat_service.asgi:application`` as the dev stack does, against the test
database, Redis, JWKS and user directory of this run.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from channels.layers import get_channel_layer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from chassis.embedded.process import free_port
from chassis.testing.celery_worker import database_url_for_subprocesses
from chassis.testing.tokens import mint_access_token
from chat_service.rooms.database import database_call
from tests.factories import make_room

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

CHAT_DIR = Path(__file__).resolve().parents[1]


class Server:
    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.pid = 0

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def metric(self, sample: str) -> float:
        for line in self.get("/metrics").splitlines():
            if line.startswith(sample + " "):
                return float(line.split()[-1])
        return 0.0

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> str:
        url = f"http://127.0.0.1:{self.port}{path}"
        with urllib.request.urlopen(url, timeout=5) as reply:
            return str(reply.read().decode())


def _run_server(
    django_db_blocker, directory_port: int, log: Path, **settings: str
) -> Iterator[Server]:
    port = free_port()
    with django_db_blocker.unblock():
        database_url = database_url_for_subprocesses()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,  # the test database, which the test run created
        "USERS_GRPC_TARGET": f"127.0.0.1:{directory_port}",
        "DJANGO_SETTINGS_MODULE": "chat_service.settings",
        "LOG_FORMAT": "console",
        **settings,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    argv = [sys.executable, "-m", "uvicorn", "chat_service.asgi:application"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    with log.open("w") as output:
        process = subprocess.Popen(argv, cwd=CHAT_DIR, env=env, stdout=output, stderr=output)
    served = Server(port, log)
    deadline = time.monotonic() + 30
    while True:
        try:
            served.get("/readyz")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"uvicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
    served.pid = process.pid
    yield served
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, _directory_server, tmp_path_factory):
    log = tmp_path_factory.mktemp("uvicorn") / "uvicorn.log"
    yield from _run_server(django_db_blocker, _directory_server[1], log)


async def next_of(ws, kind: str) -> dict:
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == kind:
            return frame


async def test_both_token_transports_chat_through_a_real_server(server, user_directory):
    alice, bob = uuid.uuid4(), uuid.uuid4()
    user_directory.names.update({str(alice): "Alice", str(bob): "Bob"})
    room = await database_call(make_room)()
    bearer = [Subprotocol("bearer"), Subprotocol(mint_access_token(user_id=alice))]
    async with connect(server.ws(f"/ws/chat/{room.slug}/"), subprotocols=bearer) as a:
        assert a.subprotocol == "bearer"  # echoed, as browsers require
        await next_of(a, "presence")
        query = f"/ws/chat/{room.slug}?token={mint_access_token(user_id=bob)}"
        async with connect(server.ws(query)) as b:
            assert b.subprotocol is None
            online = (await next_of(a, "presence"))["online"]
            assert sorted(online) == sorted([str(alice), str(bob)])

            await a.send(json.dumps({"type": "message.send", "body": "hi", "client_id": "a1"}))
            ack = await next_of(a, "message.new")
            seen = await next_of(b, "message.new")
            assert ack["client_id"] == "a1"
            assert seen["client_id"] is None
            assert seen["message"]["sender"] == {"id": str(alice), "name": "Alice"}

            await b.send(json.dumps({"type": "ping"}))
            assert await next_of(b, "pong") == {"type": "pong"}
            metrics = server.get("/metrics")
            assert "chat_websockets_open 2.0" in metrics


@pytest.mark.parametrize("via", ["subprotocol", "query"])
async def test_a_bad_token_is_closed_with_4401_by_either_transport(server, via):
    room = await database_call(make_room)()
    if via == "subprotocol":
        socket = connect(
            server.ws(f"/ws/chat/{room.slug}/"),
            subprotocols=[Subprotocol("bearer"), Subprotocol("not-a-token")],
        )
    else:
        socket = connect(server.ws(f"/ws/chat/{room.slug}/?token=not-a-token"))
    async with socket as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


async def test_query_tokens_stay_out_of_the_server_log(server):
    room = await database_call(make_room)()
    token = mint_access_token(user_id=uuid.uuid4())
    async with connect(server.ws(f"/ws/chat/{room.slug}/?token={token}")) as ws:
        await next_of(ws, "presence")
    time.sleep(0.2)
    log = server.log.read_text()
    assert f"/ws/chat/{room.slug}/?token=[redacted]" in log  # the handshake was logged...
    assert token not in log  # ...without the token
    assert token.split(".")[1] not in log


@pytest.fixture
def tight_server(django_db_blocker, _directory_server, tmp_path):
    """A server that lets 64 KiB wait for one client (1 MiB by default)."""
    yield from _run_server(
        django_db_blocker,
        _directory_server[1],
        tmp_path / "uvicorn.log",
        CHAT_WS_OUTBOX_BYTES=str(64 * 1024),
    )


def stuck_client(server: Server, path: str) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads again."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)  # byte by byte: nothing past the handshake is read
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


async def test_a_client_that_stops_reading_costs_bounded_memory(tight_server):
    room = await database_call(make_room)()
    path = f"/ws/chat/{room.slug}/"
    frames, size = 600, 50_000  # 30 MB for each socket of the room
    stuck = stuck_client(tight_server, f"{path}?token={mint_access_token(user_id=uuid.uuid4())}")
    url = tight_server.ws(f"{path}?token={mint_access_token(user_id=uuid.uuid4())}")
    async with connect(url) as fast:
        await next_of(fast, "presence")

        async def read_all() -> list[int]:
            seen: list[int] = []
            while len(seen) < frames:
                seen.append((await next_of(fast, "notification"))["n"])
            return seen

        reader = asyncio.create_task(read_all())
        layer = get_channel_layer()
        assert layer is not None
        before = tight_server.rss_bytes()
        for n in range(frames):
            frame = {"type": "notification", "n": n, "pad": "x" * size}
            await layer.group_send(f"chat.room.{room.id}", {"type": "chat.frame", "frame": frame})
        # The client that reads gets everything, in order, whatever the other one does.
        assert await asyncio.wait_for(reader, timeout=60) == list(range(frames))
        grown = tight_server.rss_bytes() - before
        dropped = tight_server.metric('chat_broadcasts_dropped_total{reason="slow_client"}')
    stuck.close()
    # The stuck client's frames beyond the kernel's buffers and 64 KiB were refused and
    # counted, instead of piling up in the server.
    assert dropped > frames / 2
    assert grown < 16 * 1024 * 1024, grown  # the room sent it 30 MB
