"""Frames waiting for one client, bounded: the reason a slow client costs bounded memory.

Channel-layer handlers only put frames here and never wait for the network; a writer task
sends them in order, and a close asked for with :meth:`Outbox.close` goes out after the
frames queued before it. When a client reads slower than its room talks, the frames
waiting for it reach ``max_bytes``: the outbox then refuses everything (each refused frame
counted in ``chat_broadcasts_dropped_total{reason="slow_client"}``), stops writing and
closes the socket with 1013 (try again later). The client reconnects and reads the history.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from chat_service.rooms.metrics import BROADCASTS_DROPPED

CLOSE_TOO_SLOW = 1013


@dataclass(frozen=True)
class _Frame:
    kind: str  # the frame's type, for metrics
    text: str


@dataclass(frozen=True)
class _Close:
    code: int


class Outbox:
    def __init__(
        self,
        *,
        send: Callable[[str, str], Awaitable[None]],
        close: Callable[[int], Coroutine[Any, Any, None]],
        max_bytes: int,
    ) -> None:
        self._send = send
        self._close = close
        self._max_bytes = max_bytes
        self._items: deque[_Frame | _Close] = deque()
        self._bytes = 0
        self._ready = asyncio.Event()
        self._closer: asyncio.Task[None] | None = None
        self.closing = False
        self.overflowed = False
        self._writer = asyncio.create_task(self._write())

    @property
    def pending_bytes(self) -> int:
        return self._bytes

    def put(self, kind: str, text: str) -> bool:
        """Queue a frame (ASCII JSON, so characters are bytes); ``False`` when refused."""
        if self.closing:
            if self.overflowed:
                BROADCASTS_DROPPED.labels("slow_client").inc()
            return False
        if self._items and self._bytes + len(text) > self._max_bytes:
            self._overflow()
            return False
        self._items.append(_Frame(kind, text))
        self._bytes += len(text)
        self._ready.set()
        return True

    def close(self, code: int) -> None:
        """Close the socket with ``code`` once the frames queued so far are sent."""
        if self.closing:
            return
        self.closing = True
        self._items.append(_Close(code))
        self._ready.set()

    def _overflow(self) -> None:
        self.closing = self.overflowed = True
        # The refused frame and what is still queued are never sent.
        dropped = 1 + sum(isinstance(item, _Frame) for item in self._items)
        BROADCASTS_DROPPED.labels("slow_client").inc(dropped)
        self._items.clear()
        self._bytes = 0
        self._writer.cancel()
        # The close frame waits for the same congested connection; the server's keepalive
        # ping times out a client that reads nothing at all.
        self._closer = asyncio.create_task(self._close(CLOSE_TOO_SLOW))

    async def _write(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._items:
                item = self._items[0]
                if isinstance(item, _Close):
                    self._items.clear()
                    await self._close(item.code)
                    return
                await self._send(item.kind, item.text)
                self._items.popleft()  # only now: a frame being written still counts
                self._bytes -= len(item.text)

    async def stop(self) -> None:
        """Stop writing; what is still queued is dropped (the client is gone)."""
        for task in (self._writer, self._closer):
            if task is not None and not task.done():
                task.cancel()
            if task is not None:
                # A writer that failed because the client went away has nothing to report.
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
