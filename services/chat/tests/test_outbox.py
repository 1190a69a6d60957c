"""The per-socket outbox: order, close after queued frames, and the slow-client bound."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from chat_service.rooms.outbox import CLOSE_TOO_SLOW, Outbox

pytestmark = pytest.mark.asyncio


def dropped() -> float:
    return (
        REGISTRY.get_sample_value("chat_broadcasts_dropped_total", {"reason": "slow_client"}) or 0
    )


class Client:
    """A client on the other end of the wire: reads when ``reading`` is set."""

    def __init__(self, *, reading: bool = True) -> None:
        self.received: list[str] = []
        self.closed_with: int | None = None
        self.reading = asyncio.Event()
        if reading:
            self.reading.set()

    async def send(self, kind: str, text: str) -> None:
        await self.reading.wait()  # a full TCP window: the write waits
        self.received.append(text)

    async def close(self, code: int) -> None:
        self.closed_with = code


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_frames_go_out_in_order_and_the_close_after_them():
    client = Client()
    outbox = Outbox(send=client.send, close=client.close, max_bytes=1000)
    for n in range(3):
        assert outbox.put("t", f"frame {n}")
    outbox.close(4429)
    assert not outbox.put("t", "after the close")
    await settle()
    assert client.received == ["frame 0", "frame 1", "frame 2"]
    assert client.closed_with == 4429
    await outbox.stop()


async def test_a_client_that_stops_reading_costs_at_most_max_bytes():
    client = Client(reading=False)
    outbox = Outbox(send=client.send, close=client.close, max_bytes=100)
    before = dropped()
    accepted = 0
    for _ in range(1000):  # a busy room talking to a client that reads nothing
        accepted += outbox.put("message.new", "x" * 30)
        assert outbox.pending_bytes <= 100
    await settle()
    assert accepted == 3  # 90 bytes queued; the fourth frame would pass the bound
    assert outbox.overflowed
    assert client.closed_with == CLOSE_TOO_SLOW
    assert dropped() == before + 1000  # everything the client will never get is counted
    await outbox.stop()


async def test_a_client_that_keeps_up_never_overflows():
    client = Client()
    outbox = Outbox(send=client.send, close=client.close, max_bytes=100)
    for n in range(1000):
        assert outbox.put("t", f"{n:030d}")
        await asyncio.sleep(0)
    await settle()
    assert len(client.received) == 1000
    assert not outbox.overflowed
    await outbox.stop()


async def test_a_frame_larger_than_the_bound_still_goes_to_an_idle_client():
    client = Client()
    outbox = Outbox(send=client.send, close=client.close, max_bytes=10)
    assert outbox.put("t", "y" * 50)
    await settle()
    assert client.received == ["y" * 50]
    await outbox.stop()
