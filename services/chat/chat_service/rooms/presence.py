"""Who is online in a room, kept in Redis so that it outlives any one process.

A room's presence is a sorted set of ``<user id>|<channel>`` entries, one per open socket,
scored by when the entry expires. Live sockets push their expiry forward every third of
``CHAT_PRESENCE_TTL_SECONDS``; the entries of a process that died stop being refreshed and
are pruned on the next change. Each change bumps the room's presence version, read in the
same atomic script, so sockets can drop a presence list older than one they already sent.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django_redis import get_redis_connection
from redis.commands.core import Script

_PRESENCE_KEY = "strata:chat:presence:{room_id}"
_VERSION_KEY = "strata:chat:presence-version:{room_id}"
# A room nobody has touched for a day loses its version counter; a socket keeps it alive.
_VERSION_TTL_SECONDS = 86400

# KEYS: presence set, version counter. ARGV: now, entry, expires_at ("" to remove the
# entry), the set's ttl, the counter's ttl, "1" to report even when nothing changed.
_CHANGE = """
local changed = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if ARGV[3] == '' then
  changed = changed + redis.call('ZREM', KEYS[1], ARGV[2])
else
  changed = changed + redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
if changed == 0 and ARGV[6] ~= '1' then
  redis.call('EXPIRE', KEYS[2], ARGV[5])
  return {0}
end
local version = redis.call('INCR', KEYS[2])
if version == 1 then
  -- A new counter (first use, or Redis lost it) starts at the time in milliseconds, above
  -- any version the room's sockets saw before.
  version = math.floor(tonumber(ARGV[1]) * 1000)
  redis.call('SET', KEYS[2], version)
end
redis.call('EXPIRE', KEYS[2], ARGV[5])
return {version, redis.call('ZRANGE', KEYS[1], 0, -1)}
"""


@dataclass(frozen=True)
class Presence:
    version: int
    online: list[str]  # user ids, sorted


@cache
def _script() -> Script:
    script: Script = get_redis_connection("default").register_script(_CHANGE)
    return script


def _entry(user_id: uuid.UUID, channel: str) -> str:
    return f"{user_id}|{channel}"


def _change(*, room_id: uuid.UUID, entry: str, present: bool, always: bool) -> Presence | None:
    ttl = settings.CHAT_PRESENCE_TTL_SECONDS
    now = time.time()
    result = _script()(
        keys=[_PRESENCE_KEY.format(room_id=room_id), _VERSION_KEY.format(room_id=room_id)],
        args=[
            repr(now),
            entry,
            repr(now + ttl) if present else "",
            ttl * 2,
            _VERSION_TTL_SECONDS,
            "1" if always else "0",
        ],
    )
    version = int(result[0])
    if version == 0:
        return None
    users = {raw.decode().split("|", 1)[0] for raw in result[1]}
    return Presence(version=version, online=sorted(users))


def presence_enter(*, room_id: uuid.UUID, user_id: uuid.UUID, channel: str) -> Presence:
    """Mark a socket online in the room; always reports the room's presence."""
    change = _change(room_id=room_id, entry=_entry(user_id, channel), present=True, always=True)
    assert change is not None
    return change


def presence_leave(*, room_id: uuid.UUID, user_id: uuid.UUID, channel: str) -> Presence:
    """Take a socket off the room; always reports the room's presence."""
    change = _change(room_id=room_id, entry=_entry(user_id, channel), present=False, always=True)
    assert change is not None
    return change


def presence_refresh(*, room_id: uuid.UUID, user_id: uuid.UUID, channel: str) -> Presence | None:
    """Keep a live socket's entry; the presence only when this pruned or restored something."""
    return _change(room_id=room_id, entry=_entry(user_id, channel), present=True, always=False)
