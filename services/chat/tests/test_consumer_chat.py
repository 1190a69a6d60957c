"""The room WebSocket through the real ASGI stack (token middleware, origin check, router)
against the real Redis channel layer and Postgres."""

from __future__ import annotations

import asyncio
import datetime
import json
import time
import uuid

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from chassis.auth.revocation import revoke_tokens_before
from chassis.events import Envelope
from chassis.events.consuming import consume
from chassis.realtime import push_to_user
from chassis.testing.events import make_envelope
from chassis.testing.tokens import mint_access_token
from chat_service.rooms.database import database_call
from chat_service.rooms.models import Membership, Message
from tests.factories import make_room
from tests.sockets import connect_to, expect_close, expect_silence, join, next_frame

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("warm_layer"),
]

db = database_call


# -- handshake and close codes ------------------------------------------------------------


@pytest.mark.parametrize("via", ["subprotocol", "query"])
async def test_a_valid_token_joins_the_room_by_either_transport(via):
    room = await db(make_room)()
    user_id = uuid.uuid4()
    socket = connect_to(room.slug, token=mint_access_token(user_id=user_id), via=via)
    connected, subprotocol = await socket.connect()
    assert connected
    assert subprotocol == ("bearer" if via == "subprotocol" else None)
    assert await next_frame(socket, "presence") == {"type": "presence", "online": [str(user_id)]}
    await socket.disconnect()


async def test_a_public_room_is_joined_on_connect():
    room = await db(make_room)()
    user_id = uuid.uuid4()
    socket = await join(room.slug, user_id)
    assert await db(Membership.objects.filter(room=room, user_id=user_id).exists)()
    await socket.disconnect()


async def test_a_private_room_admits_its_members():
    member = uuid.uuid4()
    room = await db(make_room)(is_private=True, members=[member])
    socket = await join(room.slug, member)
    await socket.disconnect()


def _revoked_token() -> str:
    user_id = uuid.uuid4()
    token = mint_access_token(user_id=user_id, issued_at=int(time.time()) - 60)
    revoke_tokens_before(user_id=str(user_id), moment=time.time() - 1, ttl_seconds=900)
    return token


CLOSES = {
    "no token": (lambda: None, "public", 4401),
    "garbage token": (lambda: "not-a-jwt", "public", 4401),
    "expired token": (
        lambda: mint_access_token(user_id=uuid.uuid4(), expires_in=-60),
        "public",
        4401,
    ),
    "revoked token": (_revoked_token, "public", 4401),
    "no such room": (lambda: mint_access_token(user_id=uuid.uuid4()), "missing", 4404),
    "not a slug": (lambda: mint_access_token(user_id=uuid.uuid4()), "Not_A_Slug", 4404),
    "private, not a member": (lambda: mint_access_token(user_id=uuid.uuid4()), "private", 4403),
    "private, a moderator": (
        lambda: mint_access_token(user_id=uuid.uuid4(), role="moderator"),
        "private",
        4403,
    ),
}


@pytest.mark.parametrize("case", sorted(CLOSES))
@pytest.mark.parametrize("via", ["subprotocol", "query"])
async def test_refused_sockets_are_accepted_then_closed_with_a_code(case, via):
    make_token, which, code = CLOSES[case]
    public = await db(make_room)()
    private = await db(make_room)(is_private=True)
    slug = {"public": public.slug, "private": private.slug}.get(which, which)
    token = await sync_to_async(make_token)()
    socket = connect_to(slug, token=token, via=via)
    if token is None and via == "subprotocol":
        socket.scope["subprotocols"] = ["bearer"]  # a browser offering bearer with no token
    connected, subprotocol = await socket.connect()
    # Accepted first, with the offered subprotocol echoed, so a browser can read the code.
    assert connected
    assert subprotocol == ("bearer" if via == "subprotocol" else None)
    await expect_close(socket, code)


async def test_a_foreign_browser_origin_is_refused_at_the_handshake():
    room = await db(make_room)()
    token = mint_access_token(user_id=uuid.uuid4())
    foreign = connect_to(room.slug, token=token, headers=[(b"origin", b"https://evil.example")])
    connected, _ = await foreign.connect()
    assert not connected  # closed before the accept: servers answer the handshake with 403
    own = connect_to(room.slug, token=token, headers=[(b"origin", b"http://127.0.0.1:8080")])
    assert (await own.connect())[0]
    await own.disconnect()


async def test_a_cors_allowed_origin_may_connect(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    room = await db(make_room)()
    socket = connect_to(
        room.slug,
        token=mint_access_token(user_id=uuid.uuid4()),
        headers=[(b"origin", b"https://app.example")],
    )
    assert (await socket.connect())[0]
    await socket.disconnect()


# -- client frames --------------------------------------------------------------------------

BAD_FRAMES = {
    "not json": ("hello", "invalid_json", None),
    "NaN is not JSON": ('{"type": "ping", "x": NaN}', "invalid_json", None),
    "a JSON array": ("[1, 2]", "invalid_frame", None),
    "a JSON string": ('"ping"', "invalid_frame", None),
    "no type": ("{}", "unknown_type", None),
    "a number for a type": ('{"type": 7}', "unknown_type", None),
    "an unknown type": ('{"type": "message.edit"}', "unknown_type", None),
    "no body": ('{"type": "message.send"}', "invalid_frame", "body"),
    "an empty body": ('{"type": "message.send", "body": ""}', "invalid_frame", "body"),
    "a blank body": ('{"type": "message.send", "body": "  \\n "}', "invalid_frame", "body"),
    "a number for a body": ('{"type": "message.send", "body": 42}', "invalid_frame", "body"),
    "a body too long": (
        json.dumps({"type": "message.send", "body": "x" * 4001}),
        "invalid_frame",
        "body",
    ),
    "a client_id too long": (
        json.dumps({"type": "message.send", "body": "hi", "client_id": "c" * 65}),
        "invalid_frame",
        "client_id",
    ),
    "an unknown field": (
        '{"type": "message.send", "body": "hi", "room": "other"}',
        "invalid_frame",
        "room",
    ),
    "a field on ping": ('{"type": "ping", "extra": true}', "invalid_frame", "extra"),
    "too large": (json.dumps({"type": "ping", "pad": "x" * 40_000}), "frame_too_large", None),
}


@pytest.mark.parametrize("case", sorted(BAD_FRAMES))
async def test_a_bad_frame_gets_an_error_frame_and_the_connection_stays(case):
    text, code, field = BAD_FRAMES[case]
    room = await db(make_room)()
    socket = await join(room.slug, uuid.uuid4())
    await socket.send_to(text_data=text)
    error = await next_frame(socket, "error")
    assert error["code"] == code
    assert error["message"]
    if field:
        assert field in error["errors"]
    await socket.send_json_to({"type": "ping"})
    assert await next_frame(socket, "pong") == {"type": "pong"}
    assert await db(Message.objects.count)() == 0
    await socket.disconnect()


async def test_a_binary_frame_gets_an_error_frame():
    room = await db(make_room)()
    socket = await join(room.slug, uuid.uuid4())
    await socket.send_to(bytes_data=b'{"type": "ping"}')
    assert (await next_frame(socket, "error"))["code"] == "invalid_frame"
    await socket.send_json_to({"type": "ping"})
    await next_frame(socket, "pong")
    await socket.disconnect()


async def test_ping_gets_pong():
    room = await db(make_room)()
    socket = await join(room.slug, uuid.uuid4())
    await socket.send_json_to({"type": "ping"})
    assert await next_frame(socket, "pong") == {"type": "pong"}
    await socket.disconnect()


# -- rate limit -----------------------------------------------------------------------------


async def test_over_the_rate_a_warning_then_4429():
    limit, _window = settings.CHAT_WS_RATE
    assert limit == 20  # the contract's rate, unrelaxed in tests
    room = await db(make_room)()
    socket = await join(room.slug, uuid.uuid4())
    for _ in range(limit):
        await socket.send_json_to({"type": "ping"})
    for _ in range(limit):
        await next_frame(socket, "pong")
    await socket.send_json_to({"type": "ping"})
    warning = await next_frame(socket, "error")
    assert warning["code"] == "rate_limited"
    await socket.send_json_to({"type": "ping"})
    await expect_close(socket, 4429)


async def test_the_limit_is_per_connection():
    room = await db(make_room)()
    user_id = uuid.uuid4()
    first, second = await join(room.slug, user_id), await join(room.slug, user_id)
    for _ in range(20):
        await first.send_json_to({"type": "ping"})
    await second.send_json_to({"type": "ping"})
    assert await next_frame(second, "pong") == {"type": "pong"}
    await first.disconnect()
    await second.disconnect()


# -- messages -------------------------------------------------------------------------------


async def test_two_clients_exchange_messages(user_directory):
    alice, bob = uuid.uuid4(), uuid.uuid4()
    user_directory.names.update({str(alice): "Alice", str(bob): "Bob"})
    room = await db(make_room)()
    a = await join(room.slug, alice)
    b = await join(room.slug, bob)

    await a.send_json_to({"type": "message.send", "body": "hi Bob", "client_id": "a-1"})
    mine = await next_frame(a, "message.new")
    theirs = await next_frame(b, "message.new")
    assert mine["client_id"] == "a-1"  # the sender's acknowledgement
    assert theirs["client_id"] is None
    assert mine["message"] == theirs["message"]
    assert mine["message"]["sender"] == {"id": str(alice), "name": "Alice"}
    assert mine["message"]["body"] == "hi Bob"
    assert mine["message"]["room"] == room.slug

    await b.send_json_to({"type": "message.send", "body": "hello Alice"})
    reply = await next_frame(a, "message.new")
    assert reply["message"]["sender"] == {"id": str(bob), "name": "Bob"}
    assert (await next_frame(b, "message.new"))["client_id"] is None
    await a.disconnect()
    await b.disconnect()


async def test_history_is_exactly_what_was_broadcast():
    sender = uuid.uuid4()
    room = await db(make_room)()
    socket = await join(room.slug, sender)
    broadcast = []
    for n in range(3):
        await socket.send_json_to({"type": "message.send", "body": f"n{n}", "client_id": f"c{n}"})
        broadcast.append((await next_frame(socket, "message.new"))["message"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_access_token(user_id=sender)}")
    response = await sync_to_async(client.get)(f"/api/v1/chat/rooms/{room.slug}/messages")
    assert response.json()["results"] == list(reversed(broadcast))
    await socket.disconnect()


async def test_a_resent_client_id_is_stored_once_and_acknowledged_again():
    sender, other = uuid.uuid4(), uuid.uuid4()
    room = await db(make_room)()
    a, b = await join(room.slug, sender), await join(room.slug, other)
    frame = {"type": "message.send", "body": "once", "client_id": "same"}
    await a.send_json_to(frame)
    first = await next_frame(a, "message.new")
    await a.send_json_to(frame)  # the acknowledgement was lost, say
    again = await next_frame(a, "message.new")
    assert again == first
    await next_frame(b, "message.new")
    await expect_silence(b)  # the room saw it once
    assert await db(Message.objects.count)() == 1
    await a.disconnect()
    await b.disconnect()


async def test_a_deletion_is_broadcast_to_the_room():
    sender, other = uuid.uuid4(), uuid.uuid4()
    room = await db(make_room)()
    a, b = await join(room.slug, sender), await join(room.slug, other)
    await a.send_json_to({"type": "message.send", "body": "oops"})
    message_id = (await next_frame(a, "message.new"))["message"]["id"]
    await next_frame(b, "message.new")

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_access_token(user_id=sender)}")
    path = f"/api/v1/chat/rooms/{room.slug}/messages/{message_id}"
    assert (await sync_to_async(client.delete)(path)).status_code == 204
    for socket in (a, b):
        assert await next_frame(socket, "message.deleted") == {
            "type": "message.deleted",
            "id": message_id,
        }
    await a.disconnect()
    await b.disconnect()


async def test_a_removed_member_is_closed_with_4403_and_cannot_post():
    owner, member = uuid.uuid4(), uuid.uuid4()
    room = await db(make_room)(owner_id=owner, is_private=True, members=[member])
    socket = await join(room.slug, member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_access_token(user_id=owner)}")
    path = f"/api/v1/chat/rooms/{room.slug}/members/{member}"
    assert (await sync_to_async(client.delete)(path)).status_code == 204
    await expect_close(socket, 4403)


async def test_sender_names_follow_renames(user_directory):
    sender = uuid.uuid4()
    user_directory.names[str(sender)] = "Before"
    room = await db(make_room)()
    socket = await join(room.slug, sender)
    await socket.send_json_to({"type": "message.send", "body": "one"})
    assert (await next_frame(socket, "message.new"))["message"]["sender"]["name"] == "Before"

    user_directory.names[str(sender)] = "After"
    await socket.send_json_to({"type": "message.send", "body": "two"})
    cached = await next_frame(socket, "message.new")
    assert cached["message"]["sender"]["name"] == "Before"  # cached, until the event
    await database_call(consume)(
        _envelope(
            "users.user_updated", {"user_id": str(sender), "name": "After", "changed": ["name"]}
        )
    )
    await socket.send_json_to({"type": "message.send", "body": "three"})
    assert (await next_frame(socket, "message.new"))["message"]["sender"]["name"] == "After"
    await socket.disconnect()


async def test_messages_flow_while_users_is_down(user_directory):
    user_directory.unavailable = True
    room = await db(make_room)()
    sender = uuid.uuid4()
    socket = await join(room.slug, sender)
    await socket.send_json_to({"type": "message.send", "body": "still here"})
    frame = await next_frame(socket, "message.new")
    assert frame["message"]["sender"] == {"id": str(sender), "name": None}
    await socket.disconnect()


# -- typing and presence --------------------------------------------------------------------


async def test_typing_reaches_the_others_only_and_is_not_stored():
    typist, reader = uuid.uuid4(), uuid.uuid4()
    room = await db(make_room)()
    a, b = await join(room.slug, typist), await join(room.slug, reader)
    await a.send_json_to({"type": "typing"})
    assert await next_frame(b, "typing") == {"type": "typing", "user_id": str(typist)}
    await a.send_json_to({"type": "typing"})  # within the interval: the room heard it already
    await expect_silence(b)
    await expect_silence(a)
    assert await db(Message.objects.count)() == 0
    await a.disconnect()
    await b.disconnect()


async def test_presence_is_sent_on_every_join_and_leave():
    alice, bob = uuid.uuid4(), uuid.uuid4()
    room = await db(make_room)()
    a = await join(room.slug, alice)
    b = await join(room.slug, bob)
    both = sorted([str(alice), str(bob)])
    assert (await next_frame(a, "presence"))["online"] == both
    await b.disconnect()
    assert (await next_frame(a, "presence"))["online"] == [str(alice)]
    await a.disconnect()


async def test_a_user_with_two_sockets_stays_online_until_both_leave():
    alice, bob = uuid.uuid4(), uuid.uuid4()
    room = await db(make_room)()
    watcher = await join(room.slug, bob)
    first, second = await join(room.slug, alice), await join(room.slug, alice)
    await first.disconnect()
    # Two joins and one leave later, Alice is still online through her second socket.
    for _ in range(3):
        assert (await next_frame(watcher, "presence"))["online"] == sorted([str(alice), str(bob)])
    await second.disconnect()
    assert (await next_frame(watcher, "presence"))["online"] == [str(bob)]
    await watcher.disconnect()


async def test_presence_of_a_crashed_process_expires(settings):
    settings.CHAT_PRESENCE_TTL_SECONDS = 3  # live sockets refresh every second
    room = await db(make_room)()
    ghost = uuid.uuid4()
    client = redis.Redis.from_url(settings.REDIS_URL)
    # An entry a dead process left behind, about to expire, and never refreshed.
    client.zadd(f"strata:chat:presence:{room.id}", {f"{ghost}|dead-channel": time.time() + 1})
    client.close()
    alice = uuid.uuid4()
    socket = connect_to(room.slug, token=mint_access_token(user_id=alice))
    await socket.connect()
    assert sorted((await next_frame(socket, "presence"))["online"]) == sorted(
        [str(alice), str(ghost)]
    )
    # The next heartbeat finds it expired, prunes it and tells the room.
    assert (await next_frame(socket, "presence", timeout=4))["online"] == [str(alice)]
    await socket.disconnect()


async def test_presence_continues_after_redis_lost_the_version_counter():
    alice, bob = uuid.uuid4(), uuid.uuid4()
    room = await db(make_room)()
    a = await join(room.slug, alice)
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(f"strata:chat:presence-version:{room.id}")
    client.close()
    b = await join(room.slug, bob)
    assert (await next_frame(a, "presence"))["online"] == sorted([str(alice), str(bob)])
    await a.disconnect()
    await b.disconnect()


# -- revocation and the user's group ---------------------------------------------------------


def _envelope(event_type: str, payload: dict, *, occurred_at: str | None = None) -> Envelope:
    return make_envelope(event_type, payload, occurred_at=occurred_at)


REVOKING_EVENTS = {
    "auth.sessions_revoked": lambda user_id: {
        "user_id": user_id,
        "reason": "logout_all",
        "revoked_before": time.time() + 1,
    },
    "users.user_deactivated": lambda user_id: {"user_id": user_id},
    "users.role_changed": lambda user_id: {
        "user_id": user_id,
        "role": "moderator",
        "previous_role": "user",
    },
}


@pytest.mark.parametrize("event_type", sorted(REVOKING_EVENTS))
async def test_revoking_events_close_every_socket_of_the_user_within_two_seconds(event_type):
    victim, bystander = uuid.uuid4(), uuid.uuid4()
    lobby, other = await db(make_room)(), await db(make_room)()
    in_lobby, elsewhere = await join(lobby.slug, victim), await join(other.slug, victim)
    watcher = await join(lobby.slug, bystander)
    occurred = timezone.now() + datetime.timedelta(seconds=2)
    envelope = _envelope(
        event_type, REVOKING_EVENTS[event_type](str(victim)), occurred_at=occurred.isoformat()
    )
    await database_call(consume)(envelope)
    await expect_close(in_lobby, 4401, timeout=2)
    await expect_close(elsewhere, 4401, timeout=2)
    assert (await next_frame(watcher, "presence"))["online"] == [str(bystander)]
    await watcher.disconnect()


async def test_a_revoked_socket_gets_the_notice_pushed_with_it_then_4401():
    user_id = uuid.uuid4()
    room = await db(make_room)()
    socket = await join(room.slug, user_id)
    event = _envelope(
        "auth.sessions_revoked",
        {"user_id": str(user_id), "reason": "password_changed", "revoked_before": time.time() + 1},
    )
    await database_call(consume)(event)
    # The worker handles its own copy of the password change a moment later.
    notice = {"type": "notification", "kind": "security.password_changed"}
    await sync_to_async(push_to_user)(user_id=user_id, frame=notice)
    assert await next_frame(socket, "notification") == notice
    # The notice came after the revocation through the same group: the socket is revoked.
    await socket.send_json_to({"type": "message.send", "body": "after revocation"})
    await expect_close(socket, 4401, timeout=2)
    assert await db(Message.objects.count)() == 0  # refused once revoked


async def test_a_socket_opened_after_the_revocation_stays_open():
    user_id = uuid.uuid4()
    room = await db(make_room)()
    token = mint_access_token(user_id=user_id, issued_at=int(time.time()) + 5)
    socket = connect_to(room.slug, token=token)
    await socket.connect()
    await next_frame(socket, "presence")
    envelope = _envelope(
        "auth.sessions_revoked",
        {"user_id": str(user_id), "reason": "password_changed", "revoked_before": time.time()},
    )
    await database_call(consume)(envelope)
    await socket.send_json_to({"type": "ping"})
    await next_frame(socket, "pong")
    await socket.disconnect()


async def test_the_worker_pushes_notifications_to_every_socket_of_the_user():
    user_id, other = uuid.uuid4(), uuid.uuid4()
    first, second = await db(make_room)(), await db(make_room)()
    a, b = await join(first.slug, user_id), await join(second.slug, user_id)
    c = await join(first.slug, other)
    frame = {"type": "notification", "title": "Password changed", "id": "n-1"}
    await sync_to_async(push_to_user)(user_id=user_id, frame=frame)
    assert await next_frame(a, "notification") == frame
    assert await next_frame(b, "notification") == frame
    await expect_silence(c)
    for socket in (a, b, c):
        await socket.disconnect()


# -- metrics --------------------------------------------------------------------------------


def _sample(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_open_sockets_and_frames_are_counted():
    room = await db(make_room)()
    before_open = _sample("chat_websockets_open")
    before_in = _sample("chat_messages_in_total", type="message.send")
    before_out = _sample("chat_messages_out_total", type="message.new")
    socket = await join(room.slug, uuid.uuid4())
    assert _sample("chat_websockets_open") == before_open + 1
    await socket.send_json_to({"type": "message.send", "body": "counted"})
    await next_frame(socket, "message.new")
    assert _sample("chat_messages_in_total", type="message.send") == before_in + 1
    assert _sample("chat_messages_out_total", type="message.new") == before_out + 1
    await socket.disconnect()
    assert _sample("chat_websockets_open") == before_open


async def test_refused_sockets_do_not_stay_counted():
    before = _sample("chat_websockets_open")
    closes = _sample("chat_websocket_closes_total", code="4404")
    socket = connect_to("nowhere", token=mint_access_token(user_id=uuid.uuid4()))
    await socket.connect()
    await expect_close(socket, 4404)
    assert _sample("chat_websockets_open") == before
    assert _sample("chat_websocket_closes_total", code="4404") == closes + 1


async def test_a_broadcast_the_layer_drops_is_counted(settings):
    from channels_redis.core import RedisChannelLayer

    # A layer with room for one waiting message per process, and a socket nobody reads.
    layer = RedisChannelLayer(hosts=[settings.REDIS_URL], prefix="strata:test", capacity=1)
    channel = await layer.new_channel()
    await layer.group_add("chat.room.drop-test", channel)
    before = _sample("chat_broadcasts_dropped_total", reason="layer_capacity")
    await layer.group_send("chat.room.drop-test", {"type": "chat.frame", "n": 1})
    await layer.group_send("chat.room.drop-test", {"type": "chat.frame", "n": 2})
    assert _sample("chat_broadcasts_dropped_total", reason="layer_capacity") == before + 1
    await layer.flush()


async def test_the_sockets_tasks_do_not_leak():
    room = await db(make_room)()
    before = len(asyncio.all_tasks())
    socket = await join(room.slug, uuid.uuid4())
    await socket.disconnect()
    await asyncio.sleep(0.05)
    assert len(asyncio.all_tasks()) <= before
