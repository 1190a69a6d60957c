"""A per-connection limit on client frames: a sliding window, a warning, then the door."""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from enum import Enum

from django.core.exceptions import ImproperlyConfigured

_RATE = re.compile(r"(\d+)/(\d*)([smh])")
_SECONDS = {"s": 1, "m": 60, "h": 3600}


def parse_rate(rate: str) -> tuple[int, float]:
    """``"20/10s"`` -> ``(20, 10.0)``: frames per window; the window is ``<n>s|m|h``."""
    match = _RATE.fullmatch(rate.strip())
    if match is None:
        raise ImproperlyConfigured(f"CHAT_WS_RATE must look like '20/10s', not {rate!r}.")
    count, amount, unit = match.groups()
    return int(count), float(amount or 1) * _SECONDS[unit]


class Verdict(Enum):
    ALLOW = "allow"
    WARN = "warn"  # over the limit for the first time: the frame is dropped, a warning sent
    CLOSE = "close"  # over the limit again after the warning: close with 4429


class FrameRateLimit:
    """At most ``limit`` frames in any ``window`` seconds.

    Frames over the limit are not counted (they are not handled). The first one earns a
    warning; another one before the client is back under the limit closes the connection.
    """

    def __init__(
        self, *, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._times: deque[float] = deque()
        self._warned = False

    def check(self) -> Verdict:
        now = self._clock()
        while self._times and now - self._times[0] >= self.window:
            self._times.popleft()
        if len(self._times) < self.limit:
            self._times.append(now)
            self._warned = False
            return Verdict.ALLOW
        if self._warned:
            return Verdict.CLOSE
        self._warned = True
        return Verdict.WARN
