"""Measure the two channels_redis layers the way the chat service uses them.

Run from the repository root (it starts its own embedded Redis, or uses ``--redis``)::

    uv run python services/chat/tools/measure_channel_layers.py

Each "process" of a deployment is one layer instance here: an instance has its own
connections and, for ``RedisChannelLayer``, its own inbox key, exactly as a uvicorn
process would. The numbers it prints are the ones in docs/chat-channel-layer.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from channels.layers import BaseChannelLayer
from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer

from chassis.embedded import EmbeddedRedis

GROUP = "room.bench"
LayerFactory = Callable[[str, int, str], BaseChannelLayer]


def core_layer(url: str, capacity: int, name: str) -> BaseChannelLayer:
    host = {"address": url, "client_name": name}
    layer: BaseChannelLayer = RedisChannelLayer(hosts=[host], prefix="bench", capacity=capacity)
    return layer


def pubsub_layer(url: str, capacity: int, name: str) -> BaseChannelLayer:
    host = {"address": url, "client_name": name}
    layer: BaseChannelLayer = RedisPubSubChannelLayer(hosts=[host], prefix="bench")
    return layer


LAYERS: dict[str, LayerFactory] = {"core": core_layer, "pubsub": pubsub_layer}


class Cluster:
    """``processes`` receiving layer instances with ``sockets`` channels in one group."""

    def __init__(self, make: LayerFactory, url: str, *, processes: int, capacity: int = 100):
        self.layers = [make(url, capacity, "receiver") for _ in range(processes)]
        self.sender = make(url, capacity, "sender")
        self.channels: list[tuple[BaseChannelLayer, str]] = []

    async def join(self, sockets: int) -> None:
        for index in range(sockets):
            layer = self.layers[index % len(self.layers)]
            channel = await layer.new_channel()
            await layer.group_add(GROUP, channel)
            self.channels.append((layer, channel))

    async def close(self) -> None:
        for layer in [*self.layers, self.sender]:
            await layer.flush()


async def fan_out(make: LayerFactory, url: str, *, sockets: int, rounds: int) -> dict[str, float]:
    """Median time of one group_send call and until every socket has the message."""
    cluster = Cluster(make, url, processes=4)
    await cluster.join(sockets)
    send_times, delivery_times = [], []
    for _ in range(rounds):
        receivers = [
            asyncio.ensure_future(layer.receive(channel)) for layer, channel in cluster.channels
        ]
        await asyncio.sleep(0.05)  # every receiver is waiting, as live consumers are
        started = time.perf_counter()
        await cluster.sender.group_send(GROUP, {"type": "chat.frame", "n": 1})
        send_times.append(time.perf_counter() - started)
        await asyncio.wait_for(asyncio.gather(*receivers), timeout=30)
        delivery_times.append(time.perf_counter() - started)
    await cluster.close()
    return {
        "send_ms": statistics.median(send_times) * 1000,
        "deliver_ms": statistics.median(delivery_times) * 1000,
    }


async def burst(make: LayerFactory, url: str, *, sockets: int, messages: int) -> dict[str, float]:
    """Send ``messages`` back to back to a group of ``sockets`` readers; count what arrives."""
    cluster = Cluster(make, url, processes=4, capacity=100)
    await cluster.join(sockets)
    counts = [0] * len(cluster.channels)

    async def read(index: int, layer: BaseChannelLayer, channel: str) -> None:
        while True:
            await layer.receive(channel)
            counts[index] += 1

    readers = [
        asyncio.ensure_future(read(i, layer, channel))
        for i, (layer, channel) in enumerate(cluster.channels)
    ]
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    for n in range(messages):
        await cluster.sender.group_send(GROUP, {"type": "chat.frame", "n": n})
    sent = time.perf_counter() - started
    await asyncio.sleep(2.0)  # let the readers drain
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await cluster.close()
    expected = messages * sockets
    return {
        "sends_per_s": messages / sent,
        "delivered_pct": 100.0 * sum(counts) / expected,
    }


async def stalled_reader(make: LayerFactory, url: str, *, messages: int) -> dict[str, float]:
    """One socket stops reading while 9 others in its process read: what piles up for it?"""
    cluster = Cluster(make, url, processes=1, capacity=100)
    await cluster.join(10)
    (stalled_layer, stalled), *live = cluster.channels

    async def read(layer: BaseChannelLayer, channel: str) -> None:
        while True:
            await layer.receive(channel)

    readers = [asyncio.ensure_future(read(layer, channel)) for layer, channel in live]
    for n in range(messages):
        await cluster.sender.group_send(GROUP, {"type": "chat.frame", "n": n, "pad": "x" * 200})
    await asyncio.sleep(1.0)
    held = _held_for(stalled_layer, stalled)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await cluster.close()
    return {"held_for_stalled_socket": held}


def _held_for(layer: BaseChannelLayer, channel: str) -> float:
    if isinstance(layer, RedisChannelLayer):
        return float(layer.receive_buffer[channel].qsize())
    queues: dict[str, asyncio.Queue[Any]] = layer._get_layer().channels  # type: ignore[attr-defined]
    return float(queues[channel].qsize()) if channel in queues else 0.0


class _DropCounter(logging.Handler):
    """Counts the channels RedisChannelLayer reports over capacity in a group_send."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "%s of %s channels over capacity in group %s":
            self.dropped += int(str(record.args[0]))  # type: ignore[index]


async def stalled_process(
    make: LayerFactory, url: str, *, capacity: int, messages: int
) -> dict[str, float]:
    """A process that reads nothing for a while (CPU-bound, paused) while a room chats."""
    cluster = Cluster(make, url, processes=1, capacity=capacity)
    await cluster.join(10)
    counter = _DropCounter()
    logger = logging.getLogger("channels_redis.core")
    logger.addHandler(counter)
    logger.setLevel(logging.INFO)
    for n in range(messages):
        await cluster.sender.group_send(GROUP, {"type": "chat.frame", "n": n})
    counts = [0] * len(cluster.channels)

    async def read(index: int, layer: BaseChannelLayer, channel: str) -> None:
        while True:
            await layer.receive(channel)
            counts[index] += 1

    readers = [
        asyncio.ensure_future(read(i, layer, channel))
        for i, (layer, channel) in enumerate(cluster.channels)
    ]
    await asyncio.sleep(2.0)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    logger.removeHandler(counter)
    await cluster.close()
    return {
        "delivered_per_socket": statistics.mean(counts),
        # channels_redis counts inbox keys (one per process), not sockets.
        "reported_dropped": float(counter.dropped),
    }


async def reconnect(make: LayerFactory, url: str, *, messages: int) -> dict[str, float]:
    """Kill the receiving process's Redis connections halfway through a stream."""
    cluster = Cluster(make, url, processes=1)
    await cluster.join(1)
    layer, channel = cluster.channels[0]
    got: list[int] = []

    async def read() -> None:
        while True:
            try:
                message = await layer.receive(channel)
            except aioredis.ConnectionError:
                # Under Channels the consumer holding the read dies with this (its socket
                # closes with 1011, and its client reconnects); the layer itself recovers.
                continue
            got.append(message["n"])

    reader = asyncio.ensure_future(read())
    await asyncio.sleep(0.2)
    admin = aioredis.Redis.from_url(url)
    for n in range(messages):
        if n == messages // 2:
            # The receiving process loses its Redis connections, as on a failover.
            for client in await admin.client_list():
                if client.get("name") == "receiver":
                    await admin.client_kill_filter(_id=client["id"])
        await cluster.sender.group_send(GROUP, {"type": "chat.frame", "n": n})
        await asyncio.sleep(0.002)
    await asyncio.sleep(3.0)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    await admin.aclose()
    await cluster.close()
    return {"lost": float(messages - len(set(got)))}


async def main(url: str) -> None:
    print("| layer | sockets | group_send call (ms) | all delivered (ms) |")
    print("|---|---:|---:|---:|")
    for name, make in LAYERS.items():
        for sockets in (10, 100, 1000, 5000):
            result = await fan_out(make, url, sockets=sockets, rounds=10 if sockets < 5000 else 3)
            print(f"| {name} | {sockets} | {result['send_ms']:.2f} | {result['deliver_ms']:.1f} |")
    print()
    print("| layer | sockets | sends/s | delivered % |")
    print("|---|---:|---:|---:|")
    for name, make in LAYERS.items():
        for sockets, messages in ((100, 500), (1000, 200)):
            result = await burst(make, url, sockets=sockets, messages=messages)
            print(
                f"| {name} | {sockets} | {result['sends_per_s']:.0f} "
                f"| {result['delivered_pct']:.1f} |"
            )
    print()
    print("| layer | messages held in memory for one stalled socket after 5000 sends |")
    print("|---|---:|")
    for name, make in LAYERS.items():
        result = await stalled_reader(make, url, messages=5000)
        print(f"| {name} | {result['held_for_stalled_socket']:.0f} |")
    print()
    print(
        "| layer | capacity | sent while the process was not reading | delivered per socket "
        "| drops reported (process inboxes) |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, make in LAYERS.items():
        for capacity in (100, 1000):
            if name == "pubsub" and capacity != 100:
                continue  # pubsub has no capacity
            result = await stalled_process(make, url, capacity=capacity, messages=300)
            print(
                f"| {name} | {capacity if name == 'core' else '-'} | 300 "
                f"| {result['delivered_per_socket']:.0f} | {result['reported_dropped']:.0f} |"
            )
    print()
    print("| layer | messages lost of 400 when the receiver's Redis connection drops |")
    print("|---|---:|")
    for name, make in LAYERS.items():
        result = await reconnect(make, url, messages=400)
        print(f"| {name} | {result['lost']:.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", help="a Redis URL to use instead of an embedded server")
    options = parser.parse_args()
    if options.redis:
        asyncio.run(main(options.redis))
    else:
        server = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="strata-bench-")))
        server.start()
        try:
            asyncio.run(main(server.url()))
        finally:
            server.stop()
