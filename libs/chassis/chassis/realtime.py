"""Reaching a user's open WebSockets from any service, through the shared channel layer.

Every WebSocket the chat service accepts joins its user's group, :func:`user_group`. Other
services talk to those sockets without importing chat code, by sending the two messages
below to that group (chat's consumer handles both):

- :func:`push_to_user` delivers a server frame, e.g. the worker's in-app notification::

      push_to_user(user_id=user_id, frame={"type": "notification", "title": "..."})

- :func:`close_user_sockets` closes the sockets (4401 by default), e.g. when the user's
  sessions are revoked; with ``issued_before`` only sockets opened with an access token
  issued before that moment close, so a socket opened after a fresh login stays.

Both are synchronous (Celery tasks, views, event handlers) and return once the message is
in the layer; they do not wait for, or know of, the sockets. A user with no open socket
simply receives nothing: these are not a mailbox. From async code, send the same messages
with ``await get_channel_layer().group_send(...)``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured

# Channel-layer message types; a consumer handles them as ``realtime_push`` / ``realtime_close``.
PUSH_MESSAGE_TYPE = "realtime.push"
CLOSE_MESSAGE_TYPE = "realtime.close"

# The WebSocket close code for "not authenticated or revoked" (CONTRACT section 4).
CLOSE_NOT_AUTHENTICATED = 4401

_USER_GROUP_PREFIX = "strata.user."


def user_group(user_id: uuid.UUID | str) -> str:
    """The channel-layer group every open socket of ``user_id`` belongs to.

    The id is normalised (a UUID in any case or form names one group); a string that is
    not a UUID raises ``ValueError``.
    """
    return f"{_USER_GROUP_PREFIX}{uuid.UUID(str(user_id))}"


def push_to_user(*, user_id: uuid.UUID | str, frame: dict[str, Any]) -> None:
    """Send ``frame`` as is to every open socket of the user.

    ``frame`` is a server frame of CONTRACT section 4: a JSON object with a string
    ``type`` (``"notification"`` for the worker). Raises ``TypeError`` for anything else,
    before sending.
    """
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise TypeError("A frame must be a dict with a string 'type'.")
    try:
        json.dumps(frame, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"A frame must be JSON-serialisable: {exc}") from exc
    _group_send(user_group(user_id), {"type": PUSH_MESSAGE_TYPE, "frame": frame})


def close_user_sockets(
    *,
    user_id: uuid.UUID | str,
    code: int = CLOSE_NOT_AUTHENTICATED,
    issued_before: float | None = None,
) -> None:
    """Close the user's open sockets with ``code``.

    ``issued_before`` (a Unix time) limits this to sockets authenticated by an access token
    issued (``iat``) before it, the rule ``chassis.auth`` applies to revoked tokens;
    ``None`` closes every socket of the user.
    """
    _group_send(
        user_group(user_id),
        {"type": CLOSE_MESSAGE_TYPE, "code": int(code), "issued_before": issued_before},
    )


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        raise ImproperlyConfigured("settings.CHANNEL_LAYERS has no 'default' layer.")
    async_to_sync(layer.group_send)(group, message)
