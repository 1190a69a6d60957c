"""CONTRACT section 4 through a whole dev stack's gateway, with a real WebSocket client.

    uv run python services/chat/tools/gateway_check.py              # a running `make dev`
    uv run python services/chat/tools/gateway_check.py --own-stack  # one of its own

Registers users through auth, then drives rooms, history and sockets through the gateway
as a client would: both token transports, every close code, every frame type, renames,
deletion, presence and revocation by logout-all. Exit status 0 when every check passes.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

REPO = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("e2e_check", REPO / "devstack" / "e2e_check.py")
assert _spec is not None
assert _spec.loader is not None
e2e = importlib.util.module_from_spec(_spec)
sys.modules["e2e_check"] = e2e
_spec.loader.exec_module(e2e)

Platform = Any  # devstack/e2e_check.py's Platform
PASSWORD = "Correct-horse-battery-9"  # noqa: S105 - a throwaway user's, on a dev stack


check = e2e.expect


def register(platform: Platform, name: str) -> tuple[str, str]:
    address = f"chat-{uuid.uuid4().hex[:10]}@example.com"
    status, user = platform.call(
        "POST", "/api/v1/auth/register", {"email": address, "password": PASSWORD, "name": name}
    )
    check(status == 201, f"register answered {status}: {user}")
    return str(user["id"]), platform.login(address, PASSWORD)


async def frame_of(ws: ClientConnection, kind: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=left))
        if frame["type"] == kind:
            return dict(frame)
    raise e2e.CheckFailed(f"no {kind} frame within {timeout}s")


async def close_code(ws: ClientConnection, timeout: float = 10) -> int:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout=timeout)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else -1


def bearer(token: str) -> list[Subprotocol]:
    return [Subprotocol("bearer"), Subprotocol(token)]


async def run_checks(platform: Platform) -> None:
    alice_id, alice = register(platform, "Alice")
    bob_id, bob = register(platform, "Bob")
    _, carol = register(platform, "Carol")
    slug = f"e2e-{uuid.uuid4().hex[:8]}"
    status, room = platform.call(
        "POST", "/api/v1/chat/rooms", {"slug": slug, "name": "E2E"}, token=alice
    )
    check(status == 201 and room["owner_id"] == alice_id, f"create room: {status} {room}")
    status, _ = platform.call(
        "POST", "/api/v1/chat/rooms", {"slug": f"{slug}-p", "name": "P", "is_private": True}, alice
    )
    check(status == 201, f"create private room: {status}")
    url = platform.websocket_url(f"/ws/chat/{slug}/")

    async with connect(url, subprotocols=bearer(alice)) as a:
        check(a.subprotocol == "bearer", "the bearer subprotocol is echoed")
        await frame_of(a, "presence")
        async with connect(f"{url}?token={bob}") as b:
            online = (await frame_of(b, "presence"))["online"]
            check(sorted(online) == sorted([alice_id, bob_id]), f"presence: {online}")
            print("ok    both token transports, public room joined on connect, presence")

            await a.send(json.dumps({"type": "message.send", "body": "hi", "client_id": "c1"}))
            ack, seen = await frame_of(a, "message.new"), await frame_of(b, "message.new")
            check(ack["client_id"] == "c1" and seen["client_id"] is None, "client_id echo")
            check(seen["message"]["sender"] == {"id": alice_id, "name": "Alice"}, str(seen))
            status, page = platform.call("GET", f"/api/v1/chat/rooms/{slug}/messages", token=bob)
            check(page["results"] == [seen["message"]], f"history = broadcast: {page}")
            print("ok    message stored, broadcast, acknowledged, and history shows it")

            await b.send(json.dumps({"type": "typing"}))
            check((await frame_of(a, "typing"))["user_id"] == bob_id, "typing")
            await b.send(json.dumps({"type": "ping"}))
            await frame_of(b, "pong")
            await b.send("not json")
            check((await frame_of(b, "error"))["code"] == "invalid_json", "error frame")
            await b.send(json.dumps({"type": "ping"}))
            await frame_of(b, "pong")
            print("ok    typing, ping/pong, an error frame and the connection kept")

            message_id = seen["message"]["id"]
            status, _ = platform.call(
                "DELETE", f"/api/v1/chat/rooms/{slug}/messages/{message_id}", token=alice
            )
            check(status == 204, f"delete: {status}")
            for ws in (a, b):
                check((await frame_of(ws, "message.deleted"))["id"] == message_id, "deleted")
            print("ok    a deletion reaches the room")

            status, _ = platform.call("PATCH", "/api/v1/users/me", {"name": "Alicia"}, alice)
            check(status == 200, f"rename: {status}")
            deadline = time.monotonic() + 10
            while True:
                await a.send(json.dumps({"type": "message.send", "body": "renamed?"}))
                name = (await frame_of(a, "message.new"))["message"]["sender"]["name"]
                if name == "Alicia":
                    break
                check(time.monotonic() < deadline, f"the new name never arrived: {name}")
                await asyncio.sleep(0.5)
            print("ok    sender names follow a rename")

            started = time.monotonic()
            status, _ = platform.call("POST", "/api/v1/auth/logout-all", {}, token=bob)
            check(status == 204, f"logout-all: {status}")
            code = await close_code(b)
            took = time.monotonic() - started
            check(code == 4401 and took < 2, f"logout-all closed {code} after {took:.2f}s")
            online = (await frame_of(a, "presence"))["online"]
            check(online == [alice_id], f"presence after leave: {online}")
            print(f"ok    logout-all closes the user's socket with 4401 ({took:.2f}s)")

    for target, token, expected in (
        (f"/ws/chat/{slug}-p/", carol, 4403),
        ("/ws/chat/no-such-room/", carol, 4404),
        (f"/ws/chat/{slug}/", "not-a-token", 4401),
    ):
        async with connect(platform.websocket_url(target), subprotocols=bearer(token)) as ws:
            check(await close_code(ws) == expected, f"{target} should close {expected}")
    print("ok    4403, 4404 and 4401 after the accept")

    async with connect(url, subprotocols=bearer(carol)) as c:
        await frame_of(c, "presence")
        ping = json.dumps({"type": "ping"})
        for _ in range(3000):  # over the (relaxed) rate: a warning, then 4429
            try:
                await c.send(ping)
            except ConnectionClosed:
                break
        code = await close_code(c, timeout=30)
        check(code == 4429, f"rate limit closed with {code}")
    print("ok    over the rate: 4429")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--own-stack", action="store_true", help="start a dev stack of its own")
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    options = parser.parse_args()
    try:
        if options.own_stack:
            with (
                tempfile.TemporaryDirectory(prefix="strata-chat-e2e-") as state,
                e2e.own_stack(Path(state)) as platform,
            ):
                asyncio.run(run_checks(platform))
        else:
            platform = e2e.Platform(gateway=options.gateway, mail_dir=REPO / ".devstack" / "mail")
            asyncio.run(run_checks(platform))
    except e2e.CheckFailed as failure:
        print(f"FAIL  {failure}")
        return 1
    print("all chat checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
