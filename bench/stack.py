"""The dev stack the benchmark measures: a running one, or one started here and stopped after.

A stack started here runs with ``STRATA_RELAXED_THROTTLES=1`` (load from one address would
otherwise be throttled). A running one is used as it is; when it was started without
that variable the run says so, since throttled requests would show up as errors.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.results import say
from devstack.database import role_url
from devstack.pidfiles import running_runner
from devstack.ports import Ports
from devstack.state import StateDir

UP_LINE = "Strata is up at"
_TRUE = {"1", "true", "yes", "y", "on"}


@dataclass(frozen=True)
class Endpoints:
    """Where the platform answers (the dev ports)."""

    ports: Ports = field(default_factory=Ports)

    def http(self, service: str) -> str:
        return f"http://{self.ports.host}:{self.ports.http[service]}"

    @property
    def gateway(self) -> str:
        return f"http://{self.ports.host}:{self.ports.gateway}"

    @property
    def websocket(self) -> str:
        return f"ws://{self.ports.host}:{self.ports.websocket}"

    def grpc(self, service: str) -> str:
        return f"{self.ports.host}:{self.ports.grpc[service]}"


def http_json(
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    timeout: float = 10,
) -> tuple[int, Any]:
    """One JSON request; returns (status, decoded body or None). Never raises on 4xx/5xx."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
            status = int(response.status)
    except urllib.error.HTTPError as error:
        raw, status = error.read(), error.code
    except OSError:
        return 0, None
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


class DevStack:
    """Use the running dev stack or start one; ``close()`` stops only what was started here."""

    def __init__(self, repo: Path, *, log_dir: Path, start_timeout: float = 300) -> None:
        self.repo = repo
        self.state = StateDir.for_repo(repo)
        self.endpoints = Endpoints()
        self.log_dir = log_dir
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.relaxed = True
        self.started_here = False

    def __enter__(self) -> DevStack:
        runner = running_runner(self.state.run)
        if runner is not None:
            self.relaxed = _relaxed(runner.pid)
            say(f"using the running dev stack (pid {runner.pid})")
            if not self.relaxed:
                say(
                    "WARNING: it runs without STRATA_RELAXED_THROTTLES=1; throttled "
                    "requests will count as errors. Restart it with the variable set."
                )
            return self
        self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / "devstack.log"
        say(f"starting the dev stack with STRATA_RELAXED_THROTTLES=1 (log: {log_path})")
        env = {**os.environ, "STRATA_RELAXED_THROTTLES": "1", "NO_COLOR": "1"}
        started = time.monotonic()
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "devstack"],
                cwd=self.repo,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.started_here = True
        deadline = started + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = log_path.read_text(errors="replace").splitlines()[-15:]
                raise RuntimeError("the dev stack stopped at start:\n" + "\n".join(tail))
            if UP_LINE in log_path.read_text(errors="replace"):
                say(f"dev stack up in {time.monotonic() - started:.0f}s")
                return
            time.sleep(0.5)
        self.close()
        raise RuntimeError(f"the dev stack was not up after {self.start_timeout:.0f}s")

    def close(self) -> None:
        """Stop the dev stack if this run started it (its runner stops every process)."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        say("stopping the dev stack")
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(90)
        except subprocess.TimeoutExpired:
            say("the dev stack did not stop in 90s; killing its runner's group")
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    # What the benchmark needs to know about the platform.

    def grpc_credential(self) -> str:
        return (self.state.run / "internal-grpc-token").read_text().strip()

    def superuser_url(self) -> str:
        external = os.environ.get("DATABASE_URL")
        if external:
            return external
        return f"postgresql://postgres@{self.endpoints.ports.host}:{self.endpoints.ports.postgres}/strata"

    def service_database_url(self, service: str) -> str:
        """The URL a service's own role connects with (as the dev stack gives it)."""
        password = None
        if os.environ.get("DATABASE_URL"):  # a server of one's own: the roles have passwords
            password = self.state.secret(f"postgres-password-{service}")
        return role_url(self.superuser_url(), service, password=password)

    def redis_url(self) -> str:
        return os.environ.get("REDIS_URL") or (
            f"redis://{self.endpoints.ports.host}:{self.endpoints.ports.redis}/0"
        )

    def availability(self) -> dict[str, str | None]:
        """Service -> None when it answers what the benchmark needs, else why not."""
        found: dict[str, str | None] = {}
        status, body = http_json("GET", f"{self.endpoints.http('auth')}/.well-known/jwks.json")
        keys = body.get("keys") if isinstance(body, dict) else None
        found["auth"] = None if status == 200 and keys else "auth has no JWKS yet"
        status, _ = http_json("GET", f"{self.endpoints.http('users')}/api/v1/users/me")
        found["users"] = None if status == 401 else f"users answered {status}"
        status, _ = http_json("GET", f"{self.endpoints.http('chat')}/api/v1/chat/rooms")
        found["chat"] = None if status == 401 else "chat has no rooms API yet"
        found["chat-ws"] = (
            None if _has_ws_route(self.endpoints.websocket) else ("chat has no WebSocket route yet")
        )
        return found


def _has_ws_route(base: str) -> bool:
    """Whether ``/ws/chat/<slug>/`` completes a handshake (closing 4401 without a token)."""
    import asyncio

    import websockets

    async def probe() -> bool:
        try:
            async with websockets.connect(f"{base}/ws/chat/bench-probe/", open_timeout=3):
                return True
        except (OSError, websockets.exceptions.WebSocketException, TimeoutError):
            return False

    return asyncio.run(probe())


def _relaxed(pid: int) -> bool:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return True  # cannot tell; assume the documented way of running it
    for entry in raw.split(b"\0"):
        name, _, value = entry.partition(b"=")
        if name == b"STRATA_RELAXED_THROTTLES":
            return value.decode(errors="replace").lower() in _TRUE
    return False
