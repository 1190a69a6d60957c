"""Baseline servers, started with the same server and worker flags as the dev stack's.

The flags are not copied: they are read from the dev stack's process table
(``devstack.processes.service_processes``), so a change there changes the baselines too.
Each server leads its own process group and is stopped by that group id.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from chassis.embedded.process import free_port, port_is_open
from devstack.database import SERVICES
from devstack.gateway import Route, gateway_process, render_caddyfile
from devstack.ports import Ports
from devstack.processes import Backends, Platform, ProcessSpec, service_processes
from devstack.state import StateDir

HOST = "127.0.0.1"


def http_answers(url: str) -> Callable[[], bool]:
    """Ready once ``url`` answers with any status below 500."""

    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
                return int(response.status) < 500
        except urllib.error.HTTPError as error:
            return error.code < 500
        except OSError:
            return False

    return check


def devstack_specs(repo: Path) -> dict[str, ProcessSpec]:
    """The dev stack's service processes by name, built with placeholder backends."""
    blank = dict.fromkeys(SERVICES, "")
    backends = Backends(
        database_urls=blank, redis_url="", email_url="", grpc_token="", secret_keys=blank
    )
    platform = Platform(repo, StateDir.for_repo(repo), Ports(), backends, base_env={})
    return {spec.name: spec for spec in service_processes(platform)}


def _replace_port(argv: list[str], port: int) -> list[str]:
    argv = list(argv)
    argv[argv.index("--port") + 1] = str(port)
    return argv


def wsgi_argv(repo: Path, app: str, port: int, *, service: str) -> list[str]:
    """``service``'s granian command line, serving ``app`` on ``port`` instead."""
    argv = _replace_port(list(devstack_specs(repo)[f"{service}-http"].argv), port)
    targets = [i for i, arg in enumerate(argv) if arg.endswith(".wsgi:application")]
    if len(targets) != 1:
        raise RuntimeError(f"cannot find the WSGI target in the dev stack's {argv}")
    argv[targets[0]] = app
    return argv


def asgi_argv(repo: Path, app: str, port: int) -> list[str]:
    """The chat WebSocket process's uvicorn command line, serving ``app`` on ``port``."""
    argv = _replace_port(list(devstack_specs(repo)["chat-ws"].argv), port)
    targets = [i for i, arg in enumerate(argv) if arg.endswith(".asgi:application")]
    if len(targets) != 1:
        raise RuntimeError(f"cannot find the ASGI target in the dev stack's {argv}")
    argv[targets[0]] = app
    return argv


@dataclass
class Server:
    """One process we start, wait for and stop."""

    name: str
    argv: list[str]
    port: int
    ready: Callable[[], bool]
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self, *, timeout: float = 60) -> Server:
        log_dir = self.log_dir or Path(tempfile.gettempdir())
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = log_dir / f"{self.name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start: {self.tail()}")
            if self.ready():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s: {self.tail()}")

    def tail(self, lines: int = 8) -> str:
        try:
            return " | ".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, AttributeError):
            return ""

    def stop(self, *, grace: float = 10) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                return
            process.wait(5)


def caddy_in_front(*, name: str, upstream_port: int, prefix: str, scratch: Path) -> Server:
    """A Caddy configured as the dev gateway is, routing ``prefix`` to one upstream."""
    port = free_port()
    home = scratch / name
    home.mkdir(parents=True, exist_ok=True)
    caddyfile = home / "Caddyfile"
    caddyfile.write_text(
        render_caddyfile(
            host=HOST,
            port=port,
            upstreams={"upstream": f"{HOST}:{upstream_port}"},
            routes=[Route(prefix, "upstream")],
        )
    )
    spec = gateway_process(
        caddyfile=caddyfile, caddy_home=home, host=HOST, port=port, ready="tcp", base_env={}
    )
    return Server(
        name=name,
        argv=list(spec.argv),
        port=port,
        ready=lambda: port_is_open(HOST, port),
        cwd=home,
        env=dict(spec.env),
        log_dir=scratch,
    )


def python_argv(*args: str) -> list[str]:
    return [sys.executable, *args]


def listener(port: int) -> psutil.Process:
    """The process listening on TCP ``port`` on this machine."""
    for conn in psutil.net_connections(kind="tcp"):
        listening = conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port
        if listening and conn.pid:
            return psutil.Process(conn.pid)
    raise RuntimeError(f"no process listens on port {port}")


def listening_root(port: int) -> int:
    """The pid of the outermost process of the server listening on ``port`` (the master of
    a pre-forking server, whose children do the work)."""
    process = listener(port)
    parent = process.parent()
    while parent is not None and parent.cmdline() == process.cmdline():
        process, parent = parent, parent.parent()
    return int(process.pid)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` and all its descendants so far."""
    total = 0.0
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def python_path(repo: Path) -> str:
    """``PYTHONPATH`` for a child: the checkout first (``bench.*`` imports), then the caller's."""
    return os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH", "")]))
