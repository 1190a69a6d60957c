"""What every figure shares: the run profile, the dev stack, the seeded data, scratch space
and the baseline servers (started once, stopped at the end)."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.results import say
from bench.seeding import Seeder
from bench.servers import Server
from bench.stack import DevStack


@dataclass(frozen=True)
class Profile:
    """How long and how hard: ``full`` for ``make bench``, ``quick`` for the smoke check."""

    name: str
    repetitions: int
    seconds: int  # one throughput or latency trial
    warmup_seconds: int  # per target before the first repetition; 0: none
    http_vus: int
    read_users: int
    login_seconds: int
    grpc_vus: int
    fanout_rooms: tuple[int, ...]  # members per room
    fanout_rate: int  # messages per second in the latency phase
    fanout_latency_seconds: int
    fanout_saturation_seconds: int
    fanout_settle_ms: int  # quiet time (no presence frame) before the latency phase
    fanout_drain_ms: int  # between phases, for the frames still in flight
    events_rate: int
    events_seconds: int
    idle_sockets: int
    idle_rooms: int
    idle_warmup_sockets: int
    idle_settle_seconds: float  # after the last socket opened, before RSS is read
    verdicts: bool  # judge rows against the budget (not in the smoke run)


FULL = Profile(
    name="full",
    repetitions=3,
    seconds=8,
    warmup_seconds=3,
    http_vus=8,
    read_users=50,
    login_seconds=8,
    grpc_vus=8,
    fanout_rooms=(50, 500),
    fanout_rate=10,
    fanout_latency_seconds=8,
    fanout_saturation_seconds=5,
    fanout_settle_ms=1000,
    fanout_drain_ms=2000,
    events_rate=100,
    events_seconds=10,
    idle_sockets=2000,
    idle_rooms=100,
    idle_warmup_sockets=20,
    idle_settle_seconds=2,
    verdicts=True,
)

QUICK = Profile(
    name="quick",
    repetitions=1,
    seconds=1,
    warmup_seconds=0,
    http_vus=4,
    read_users=4,
    login_seconds=1,
    grpc_vus=4,
    fanout_rooms=(8,),
    fanout_rate=10,
    fanout_latency_seconds=1,
    fanout_saturation_seconds=1,
    fanout_settle_ms=200,
    fanout_drain_ms=300,
    events_rate=20,
    events_seconds=1,
    idle_sockets=40,
    idle_rooms=4,
    idle_warmup_sockets=0,
    idle_settle_seconds=0.5,
    verdicts=False,
)


class Context:
    def __init__(self, *, repo: Path, profile: Profile, stack: DevStack, results: Path) -> None:
        self.repo = repo
        self.profile = profile
        self.stack = stack
        self.results = results
        self.scratch = Path(tempfile.mkdtemp(prefix="strata-bench-"))
        self.seeder = Seeder(stack)
        self.available = stack.availability()
        self.notes: list[str] = []
        self._servers: dict[str, Server] = {}

    def missing(self, *services: str) -> str | None:
        """Why the figure cannot run (the first of ``services`` that is not there), or None."""
        for service in services:
            reason = self.available.get(service)
            if reason:
                return reason
        return None

    def json_file(self, name: str, value: object) -> Path:
        path = self.scratch / name
        path.write_text(json.dumps(value))
        return path

    def server(self, name: str, make: Callable[[], Server]) -> Server:
        """The baseline server ``name``, started on first use."""
        if name not in self._servers:
            say(f"starting baseline {name}")
            server = make()
            server.log_dir = self.results / "logs"
            self._servers[name] = server.start()
        return self._servers[name]

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def close(self) -> None:
        for name, server in reversed(list(self._servers.items())):
            say(f"stopping baseline {name}")
            server.stop()
        self._servers.clear()
        shutil.rmtree(self.scratch, ignore_errors=True)
