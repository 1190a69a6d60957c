"""The terminal: one line per log line, each prefixed with its process's name."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable
from typing import TextIO

_PALETTE = ("36", "33", "32", "35", "34", "96", "93", "92", "95", "94")
_RESET = "\033[0m"
RUNNER = "devstack"


class Console:
    """Writes prefixed lines from many threads without interleaving them.

    Colour is used only on a terminal, and never when ``NO_COLOR`` is set.
    """

    def __init__(self, stream: TextIO | None = None, *, colour: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        if colour is None:
            colour = self.stream.isatty() and "NO_COLOR" not in os.environ
        self.colour = colour
        self.width = len(RUNNER)
        self._colours: dict[str, str] = {RUNNER: "1"}
        self._lock = threading.Lock()

    def register(self, names: Iterable[str]) -> None:
        """Reserve a colour for each name and pad every prefix to the longest."""
        for name in names:
            self.width = max(self.width, len(name))
            self._colours.setdefault(name, _PALETTE[(len(self._colours) - 1) % len(_PALETTE)])

    def line(self, name: str, text: str) -> None:
        """One line of output from process ``name``."""
        prefix = f"{name:<{self.width}} |"
        if self.colour:
            prefix = f"\033[{self._colours.get(name, '0')}m{prefix}{_RESET}"
        self._write(f"{prefix} {text}")

    def say(self, text: str) -> None:
        """A message from the dev stack itself."""
        self.line(RUNNER, text)

    def plain(self, text: str = "") -> None:
        """A line without prefix (the summary table)."""
        self._write(text)

    def _write(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()
