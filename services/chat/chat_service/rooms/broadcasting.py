"""Channel-layer messages to a room's sockets, and the count of those the layer dropped.

A room's sockets form the group :func:`room_group`; each socket also joins its user's
group (``chassis.realtime.user_group``). The message types below are handled by
``ChatConsumer`` (a type ``a.b`` calls its method ``a_b``).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer

from chassis.realtime import user_group
from chat_service.rooms.metrics import BROADCASTS_DROPPED

# {"frame": <server frame>, "exclude": <channel name or None>}
ROOM_FRAME = "chat.frame"
# {"text": <message.new frame, encoded once>, "origin": <sender's channel or None>,
# "client_id": ...}: every socket but the sender's sends the text as it is (client_id
# null); the sender's decodes it and adds its client_id. Encoding once per broadcast, not
# once per socket, is most of what a delivery costs in a large room.
ROOM_MESSAGE = "chat.message"
# {"frame": <presence frame>, "version": n}: a socket drops versions older than one it sent.
ROOM_PRESENCE = "chat.presence"
# To a user's group: {"room_id": ...}; that user's sockets in the room close with 4403.
MEMBERSHIP_ENDED = "chat.membership_ended"

# What channels_redis logs when a group_send finds process inboxes full (it drops the
# message for those and raises nothing); the first argument is how many inboxes.
_OVER_CAPACITY = "%s of %s channels over capacity in group %s"


def room_group(room_id: uuid.UUID | str) -> str:
    return f"chat.room.{uuid.UUID(str(room_id))}"


def _layer() -> BaseChannelLayer:
    layer = get_channel_layer()
    if layer is None:  # settings always configure one; this is for the type checker
        raise RuntimeError("No channel layer is configured.")
    return layer


def send_to_room(room_id: uuid.UUID, message: dict[str, Any]) -> None:
    async_to_sync(_layer().group_send)(room_group(room_id), message)


async def asend_to_room(room_id: uuid.UUID, message: dict[str, Any]) -> None:
    await _layer().group_send(room_group(room_id), message)


def send_to_channel(channel: str, message: dict[str, Any]) -> None:
    async_to_sync(_layer().send)(channel, message)


def send_to_user(user_id: uuid.UUID, message: dict[str, Any]) -> None:
    async_to_sync(_layer().group_send)(user_group(user_id), message)


class _LayerDropCounter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == _OVER_CAPACITY and isinstance(record.args, tuple) and record.args:
            BROADCASTS_DROPPED.labels("layer_capacity").inc(int(str(record.args[0])))
        return True  # the line is still logged: a drop is worth one


def count_layer_drops() -> None:
    """Count the broadcasts channels_redis drops for full inboxes (idempotent)."""
    logger = logging.getLogger("channels_redis.core")
    if not any(isinstance(f, _LayerDropCounter) for f in logger.filters):
        logger.addFilter(_LayerDropCounter())
    if not logger.isEnabledFor(logging.INFO):
        logger.setLevel(logging.INFO)
