"""The chat service's channel layer: channels_redis's RedisChannelLayer, pooled for bursts.

redis-py's asyncio pool opens at most 100 connections per event loop and *raises* beyond
that. A process that opens or closes a few hundred sockets at once (a deploy, a network
blip that reconnects a room) issues more concurrent group_add / group_discard calls than
that, and each failure is a socket that never hears its room, or a dead channel its group
keeps for a day. This layer's pool waits for a free connection instead.

It also mends channels_redis's per-channel cleanup lock, see :class:`CleanupLocks`.
"""

from __future__ import annotations

from typing import Any

from channels_redis.core import ChannelLock, RedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class CleanupLocks(ChannelLock):  # type: ignore[misc]
    """channels_redis's ``ChannelLock``, which forgets a waiter that gave up.

    Every socket of the process reads through one Redis key (``specific.<prefix>!``), so
    every read waits on one ``asyncio.Lock`` held while the previous read's clean-up runs.
    ``ChannelLock`` counts a waiter before it waits and forgets the lock once the count is
    back to zero, but never uncounts a waiter whose wait ends without the lock: a socket
    closed (its read cancelled) while the clean-up of another read ran. The lock then
    stays for the life of the process, bound to the event loop it was first contended
    on. Live servers run one loop; tests (one loop each), ``async_to_sync`` and workers
    do not, and the next contended read on another loop raised ``RuntimeError: <Lock>
    is bound to a different event loop``, ending that socket's consumer.
    """

    async def acquire(self, channel: str) -> bool:
        try:
            return bool(await super().acquire(channel))
        except BaseException:
            # Not acquired (asyncio.Lock takes nothing on a cancelled or failed wait).
            self.wait_counts[channel] -= 1
            if self.wait_counts[channel] < 1:
                del self.locks[channel]
                del self.wait_counts[channel]
            raise


class PooledRedisChannelLayer(RedisChannelLayer):  # type: ignore[misc]
    def __init__(self, *, pool_size: int = 100, pool_timeout: float = 10.0, **config: Any):
        super().__init__(**config)
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout
        self.receive_clean_locks = CleanupLocks()

    def create_pool(self, index: int) -> Any:
        host = dict(self.hosts[index])
        if "address" not in host:  # sentinels and the like: channels_redis's own pool
            return super().create_pool(index)
        address = host.pop("address")
        return BlockingConnectionPool.from_url(
            address, max_connections=self.pool_size, timeout=self.pool_timeout, **host
        )
