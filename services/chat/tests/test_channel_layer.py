"""The chat layer's read clean-up lock: a cancelled wait leaves nothing for another loop."""

from __future__ import annotations

import asyncio

import pytest

from chat_service.rooms.channel_layer import PooledRedisChannelLayer

KEY = "strata:channelsspecific.process!"


async def _a_read_closed_while_another_cleans_up(layer: PooledRedisChannelLayer) -> None:
    locks = layer.receive_clean_locks
    await locks.acquire(KEY)  # a read's clean-up runs
    waiter = asyncio.ensure_future(locks.acquire(KEY))  # the next read waits for it
    await asyncio.sleep(0)
    waiter.cancel()  # ...and its socket closes
    with pytest.raises(asyncio.CancelledError):
        await waiter
    locks.release(KEY)


def test_a_cancelled_wait_for_the_cleanup_lock_does_not_outlive_its_event_loop():
    layer = PooledRedisChannelLayer(hosts=["redis://127.0.0.1:1"])
    asyncio.run(_a_read_closed_while_another_cleans_up(layer))
    assert layer.receive_clean_locks.locks == {}
    assert layer.receive_clean_locks.wait_counts == {}
    # channels_redis kept the lock, bound to the first loop: "bound to a different event loop".
    asyncio.run(_a_read_closed_while_another_cleans_up(layer))
