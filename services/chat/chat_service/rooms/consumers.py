"""The room WebSocket, ``/ws/chat/<slug>/`` (CONTRACT section 4).

The consumer parses and checks frames and calls services; it stores nothing itself. Every
connection is accepted first and then, when it may not stay, closed with a code a browser
can read: 4401 (no valid token, or revoked later), 4403 (private room, not a member),
4404 (no such room), 4429 (too many frames, after a warning), 1013 (a client too slow to
keep up with its room).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, cast

import structlog
from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from redis.exceptions import RedisError

from chassis.auth.authentication import TokenUser
from chassis.auth.channels import BEARER_SUBPROTOCOL
from chassis.auth.revocation import is_revoked
from chassis.errors import Forbidden, NotFound
from chassis.observability.context import REQUEST_ID_HEADER, bound_request_id
from chassis.realtime import CLOSE_NOT_AUTHENTICATED, user_group
from chat_service.rooms import frames, live, services
from chat_service.rooms.broadcasting import room_group
from chat_service.rooms.database import database_call
from chat_service.rooms.inbound import ClientFrame, FrameError, parse_frame
from chat_service.rooms.metrics import (
    MESSAGES_IN,
    MESSAGES_OUT,
    WEBSOCKET_CLOSES,
    WEBSOCKETS_OPEN,
)
from chat_service.rooms.models import Room
from chat_service.rooms.outbox import Outbox
from chat_service.rooms.ratelimit import FrameRateLimit, Verdict

logger = structlog.get_logger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_RATE_LIMITED = 4429


class ChatConsumer(AsyncWebsocketConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user: TokenUser | None = None
        self.room: Room | None = None
        self.outbox: Outbox | None = None
        self.closing = False
        self.revoked = False
        self._drain: asyncio.Task[None] | None = None
        self._counted = False
        self._torn_down = False
        self._heartbeat: asyncio.Task[None] | None = None
        self._presence_version = 0
        self._last_typing = float("-inf")
        limit, window = settings.CHAT_WS_RATE
        self._rate = FrameRateLimit(limit=limit, window=window)

    # -- the connection's life ---------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        # One id for everything this connection causes: logs, gRPC calls, events.
        with bound_request_id(request_id or None):
            try:
                await super().__call__(scope, receive, send)
            except RedisError:
                if not self._torn_down:
                    raise
                # Channels cancels the layer read once the socket is gone; when that read
                # is mid-BZPOPMIN, redis-py finishes it (up to channels_redis's 5 s block)
                # and raises a timeout instead of the cancellation. Nothing is lost.
                logger.debug("websocket_layer_read_ended_late", exc_info=True)
            finally:
                await self._teardown()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, one thread hop
        # per frame per socket; only database_call uses the database here, and it does that
        # itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        await self.accept(self._subprotocol())
        WEBSOCKETS_OPEN.inc()
        self._counted = True
        user = cast(TokenUser | None, self.scope.get("user"))
        if user is None:
            await self._close(CLOSE_NOT_AUTHENTICATED)
            return
        slug = self.scope["url_route"]["kwargs"]["slug"]
        try:
            room = await database_call(services.room_enter)(slug=slug, user_id=user.id)
        except NotFound:
            await self._close(CLOSE_NOT_FOUND)
            return
        except Forbidden:
            await self._close(CLOSE_FORBIDDEN)
            return
        self.user, self.room = user, room
        self.outbox = Outbox(
            send=self._write, close=self._send_close, max_bytes=settings.CHAT_WS_OUTBOX_BYTES
        )
        await self._join_groups()
        # Sessions revoked while this socket was being admitted: the event came too early.
        if await self._revoked():
            await self._close(CLOSE_NOT_AUTHENTICATED)
            return
        await live.socket_joined(room_id=room.id, user_id=user.id, channel=self.channel_name)
        self._heartbeat = asyncio.create_task(self._beat())
        logger.info("websocket_joined", room=room.slug, user_id=str(user.id))

    async def disconnect(self, code: int) -> None:
        await self._teardown()

    async def _teardown(self) -> None:
        if self._torn_down:
            return
        self._torn_down = True
        if self._counted:
            WEBSOCKETS_OPEN.dec()
        for task in (self._heartbeat, self._drain):
            if task is not None:
                task.cancel()
        if self.outbox is not None:
            await self.outbox.stop()
        if self.room is None or self.user is None:
            return
        try:
            await self.channel_layer.group_discard(room_group(self.room.id), self.channel_name)
            await self.channel_layer.group_discard(user_group(self.user.id), self.channel_name)
            await live.socket_left(
                room_id=self.room.id, user_id=self.user.id, channel=self.channel_name
            )
        except Exception:  # Redis away: presence expires by itself, groups too
            logger.warning("websocket_leave_failed", room=self.room.slug, exc_info=True)
        logger.info("websocket_left", room=self.room.slug, user_id=str(self.user.id))

    async def _join_groups(self) -> None:
        assert self.room is not None
        assert self.user is not None
        await self.channel_layer.group_add(room_group(self.room.id), self.channel_name)
        await self.channel_layer.group_add(user_group(self.user.id), self.channel_name)

    async def _beat(self) -> None:
        """Keep presence alive, notice a revocation the events missed, stay in the groups.

        Re-joining the groups each beat costs two ZADDs, and keeps the socket in them past
        channels_redis's group_expiry (a day) and after Redis lost its data.
        """
        assert self.room is not None
        assert self.user is not None
        interval = settings.CHAT_PRESENCE_TTL_SECONDS / 3
        while True:
            await asyncio.sleep(interval)
            try:
                if await self._revoked():
                    self._revoke(CLOSE_NOT_AUTHENTICATED)
                    return
                await self._join_groups()
                await live.socket_alive(
                    room_id=self.room.id, user_id=self.user.id, channel=self.channel_name
                )
            except Exception:  # Redis away for a moment: try again next beat
                logger.warning("websocket_heartbeat_failed", room=self.room.slug, exc_info=True)

    def _revoke(self, code: int) -> None:
        """The user's tokens were revoked: refuse their frames now, close after the drain.

        The close comes ``CHAT_REVOKED_DRAIN_SECONDS`` later (the contract allows two), so
        that a frame pushed for the same cause, the worker's security notice, still
        reaches this socket before its close code does.
        """
        if self.revoked or self.closing:
            return
        self.revoked = True
        self._drain = asyncio.create_task(self._close_after_drain(code))

    async def _close_after_drain(self, code: int) -> None:
        await asyncio.sleep(settings.CHAT_REVOKED_DRAIN_SECONDS)
        await self._close(code)

    async def _revoked(self) -> bool:
        assert self.user is not None
        check = sync_to_async(is_revoked, thread_sensitive=False)
        return await check(user_id=str(self.user.id), issued_at=self.user.claims.issued_at)

    def _subprotocol(self) -> str | None:
        # Browsers drop a connection whose offered subprotocol is not echoed, and then the
        # close code (4401 included) never reaches the page.
        offered = [p.strip().lower() for p in self.scope.get("subprotocols") or []]
        if self.scope.get("auth_subprotocol") or BEARER_SUBPROTOCOL in offered:
            return BEARER_SUBPROTOCOL
        return None

    # -- writing to the client ---------------------------------------------------------

    async def _close(self, code: int) -> None:
        if self.closing:
            return
        self.closing = True
        if self.outbox is not None:
            self.outbox.close(code)  # after the frames already queued (a warning, say)
        else:
            await self._send_close(code)

    async def _send_close(self, code: int) -> None:
        self.closing = True  # also when the outbox closes a slow client
        WEBSOCKET_CLOSES.labels(str(code)).inc()
        await self.close(code)

    def _deliver(self, frame: dict[str, Any]) -> None:
        self._deliver_text(str(frame["type"]), frames.encode(frame))

    def _deliver_text(self, kind: str, text: str) -> None:
        if self.outbox is not None:
            self.outbox.put(kind, text)

    async def _write(self, kind: str, text: str) -> None:
        await self.send(text_data=text)
        MESSAGES_OUT.labels(kind).inc()

    # -- client frames -----------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing or self.revoked or self.room is None:
            return
        verdict = self._rate.check()
        if verdict is not Verdict.ALLOW:
            MESSAGES_IN.labels("rate_limited").inc()
            if verdict is Verdict.CLOSE:
                await self._close(CLOSE_RATE_LIMITED)
            else:
                limit, window = settings.CHAT_WS_RATE
                self._deliver(
                    frames.error(
                        "rate_limited",
                        f"More than {limit} frames in {window:g} seconds: this one was "
                        "dropped; the next one closes the connection (4429).",
                    )
                )
            return
        try:
            frame = parse_frame(text_data)
        except FrameError as exc:
            MESSAGES_IN.labels("invalid").inc()
            self._deliver(frames.error(exc.code, exc.message, errors=exc.errors))
            return
        MESSAGES_IN.labels(frame.type).inc()
        if frame.type == "message.send":
            await self._post(frame)
        elif frame.type == "typing":
            await self._typing()
        else:
            self._deliver(frames.pong())

    async def _post(self, frame: ClientFrame) -> None:
        assert self.room is not None
        assert self.user is not None
        try:
            await database_call(services.message_post)(
                room=self.room,
                sender_id=self.user.id,
                body=frame.data["body"],
                client_id=frame.data.get("client_id"),
                origin=self.channel_name,
            )
        except Forbidden:  # removed from the room while connected
            await self._close(CLOSE_FORBIDDEN)
        except ValidationError as exc:
            self._deliver(
                frames.error("invalid_frame", "The message is not valid.", errors=exc.message_dict)
            )
        except DatabaseError:
            logger.exception("message_post_failed", room=self.room.slug)
            self._deliver(frames.error("unavailable", "The message was not stored; send it again."))

    async def _typing(self) -> None:
        assert self.room is not None
        assert self.user is not None
        now = time.monotonic()
        if now - self._last_typing < settings.CHAT_TYPING_INTERVAL_SECONDS:
            return  # the room heard it a moment ago
        self._last_typing = now
        await live.typing_announce(
            room_id=self.room.id, user_id=self.user.id, origin=self.channel_name
        )

    # -- channel-layer messages (see broadcasting and chassis.realtime) ----------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        if event.get("origin") != self.channel_name:
            self._deliver_text("message.new", event["text"])
            return
        frame = json.loads(event["text"])
        frame["client_id"] = event.get("client_id")
        self._deliver(frame)

    async def chat_frame(self, event: dict[str, Any]) -> None:
        if event.get("exclude") != self.channel_name:
            self._deliver(event["frame"])

    async def chat_presence(self, event: dict[str, Any]) -> None:
        # Two joins can cross in the layer; the list with the higher version is newer.
        if int(event["version"]) > self._presence_version:
            self._presence_version = int(event["version"])
            self._deliver(event["frame"])

    async def chat_membership_ended(self, event: dict[str, Any]) -> None:
        if self.room is not None and event.get("room_id") == str(self.room.id):
            await self._close(CLOSE_FORBIDDEN)

    async def realtime_push(self, event: dict[str, Any]) -> None:
        self._deliver(event["frame"])

    async def realtime_close(self, event: dict[str, Any]) -> None:
        if self.user is None:
            return
        before = event.get("issued_before")
        if before is None or self.user.claims.issued_at < float(before):
            self._revoke(int(event.get("code") or CLOSE_NOT_AUTHENTICATED))


class UnauthenticatedChatConsumer(ChatConsumer):
    """A handshake without a valid token: accepted, closed with 4401, nothing else.

    It has no channel layer (an alias no setting defines), so such a client costs no Redis
    connection or read; redis-py also cannot cancel a read it has just begun, and a socket
    closed at once would hold one for seconds.
    """

    channel_layer_alias = "chat.unauthenticated"


_admitted = ChatConsumer.as_asgi()
_unauthenticated = UnauthenticatedChatConsumer.as_asgi()


async def chat_socket(scope: Any, receive: Any, send: Any) -> None:
    """The ASGI app of ``/ws/chat/<slug>/``, behind ``TokenAuthMiddleware``."""
    app = _admitted if scope.get("user") is not None else _unauthenticated
    await app(scope, receive, send)
