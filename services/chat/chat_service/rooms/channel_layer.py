"""The chat service's channel layer: channels_redis's RedisChannelLayer, pooled for bursts.

redis-py's asyncio pool opens at most 100 connections per event loop and *raises* beyond
that. A process that opens or closes a few hundred sockets at once (a deploy, a network
blip that reconnects a room) issues more concurrent group_add / group_discard calls than
that, and each failure is a socket that never hears its room, or a dead channel its group
keeps for a day. This layer's pool waits for a free connection instead.
"""

from __future__ import annotations

from typing import Any

from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class PooledRedisChannelLayer(RedisChannelLayer):  # type: ignore[misc]
    def __init__(self, *, pool_size: int = 100, pool_timeout: float = 10.0, **config: Any):
        super().__init__(**config)
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout

    def create_pool(self, index: int) -> Any:
        host = dict(self.hosts[index])
        if "address" not in host:  # sentinels and the like: channels_redis's own pool
            return super().create_pool(index)
        address = host.pop("address")
        return BlockingConnectionPool.from_url(
            address, max_connections=self.pool_size, timeout=self.pool_timeout, **host
        )
