"""Settings of the chat service: the chassis block plus what is the service's own."""

from pathlib import Path

from chassis.settings import env, service_settings, throttle_rate
from chat_service.rooms.ratelimit import parse_rate

BASE_DIR = Path(__file__).resolve().parent.parent

_settings = service_settings(
    service="chat",
    base_dir=BASE_DIR,
    apps=["chat_service.rooms"],
    asgi=True,
)


# The channel layer (docs/chat-channel-layer.md): channels_redis's RedisChannelLayer on the
# chassis's Redis and prefix (the worker pushes through it), with a connection pool that
# waits instead of failing, and room for bursts: capacity counts the messages waiting for
# one process; a broadcast that finds it full is dropped and counted.
_settings["CHANNEL_LAYERS"]["default"]["BACKEND"] = (
    "chat_service.rooms.channel_layer.PooledRedisChannelLayer"
)
_settings["CHANNEL_LAYERS"]["default"]["CONFIG"].update(
    {
        "capacity": env.int("CHAT_CHANNEL_CAPACITY", default=1000),
        "expiry": 60,
        "group_expiry": 86400,
        "pool_size": env.int("CHAT_CHANNEL_POOL_SIZE", default=100),
    }
)
# channels_redis reports dropped broadcasts at INFO; the rooms app counts them from there.
_settings["LOGGING"]["loggers"]["channels_redis.core"] = {"level": "INFO"}
globals().update(_settings)

# Client frames allowed per connection and window (every frame counts; relaxed x100).
CHAT_WS_RATE = parse_rate(throttle_rate("CHAT_WS_RATE", "20/10s"))
# Presence entries expire unless their socket refreshes them (a crashed process's users
# drop out after this); live sockets refresh at a third of it.
CHAT_PRESENCE_TTL_SECONDS = env.int("CHAT_PRESENCE_TTL_SECONDS", default=60)
# What may wait for one slow client before its socket is closed (1013): the bound on a
# socket's memory whatever the client does.
CHAT_WS_OUTBOX_BYTES = env.int("CHAT_WS_OUTBOX_BYTES", default=1024 * 1024)
# A revoked socket refuses its client's frames at once and closes this much later, so that
# the worker's notice about the same event reaches it first (the contract allows 2 s).
CHAT_REVOKED_DRAIN_SECONDS = env.float("CHAT_REVOKED_DRAIN_SECONDS", default=1.0)
# A typing frame is forwarded to the room at most this often per socket.
CHAT_TYPING_INTERVAL_SECONDS = env.float("CHAT_TYPING_INTERVAL_SECONDS", default=2.0)
# Sender names from users' BatchGetUsers, cached in Redis; users.user_updated forgets them.
CHAT_SENDER_NAME_CACHE_SECONDS = env.int("CHAT_SENDER_NAME_CACHE_SECONDS", default=3600)
CHAT_DIRECTORY_TIMEOUT_SECONDS = env.float("CHAT_DIRECTORY_TIMEOUT_SECONDS", default=1.0)
