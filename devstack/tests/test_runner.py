"""The runner end to end: real Postgres, Redis, SMTP sink and Caddy, stub services."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import queue
import re
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest
import redis

from chassis.embedded import EmbeddedPostgres, EmbeddedRedis
from devstack.console import Console
from devstack.pidfiles import RUNNER_PID_FILE, write_pid_file
from devstack.ports import Ports, port_is_free
from devstack.runner import RunConfig, reset, run
from devstack.state import StateDir

# Runs the real runner with trivial process tables: every "service" is an http.server
# serving a directory that has /readyz and /api/schema/auth/ in it.
DRIVER = """
import json, sys
from pathlib import Path
from devstack.console import Console
from devstack.ports import Ports
from devstack.processes import ProcessSpec, service_env
from devstack.runner import RunConfig, run
from devstack.state import StateDir

repo, ports = Path(sys.argv[1]), Ports(**json.loads(sys.argv[2]))
site = repo / "site"

def migrations(platform):
    show = "import os; print('migrating as', os.environ['DATABASE_URL'], os.environ['REDIS_URL'])"
    return [
        ProcessSpec(f"{svc}-migrate", (sys.executable, "-c", show), site,
                    service_env(platform, svc, f"{svc}-migrate"), ready="exit")
        for svc in platform.services
    ]

def services(platform):
    return [
        ProcessSpec(f"{svc}-http", (sys.executable, "-m", "http.server", str(port), "--bind",
                    ports.host), site, service_env(platform, svc, f"{svc}-http"), port,
                    f"http://{ports.host}:{port}/readyz")
        for svc, port in ports.http.items()
    ]

config = RunConfig(repo=repo, state=StateDir.for_repo(repo), ports=ports, grace=3,
                   migrations=migrations, services=services)
sys.exit(run(config, Console(colour=False)))
"""


class Stack:
    """One ``run()`` in a subprocess, with its output collected line by line."""

    def __init__(self, repo: Path, ports: Ports, **extra_env: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(extra_env)
        encoded = json.dumps(dataclasses.asdict(ports))
        self.process = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(repo), encoded],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.lines.append(line)
            if text in line:
                return
        raise AssertionError(f"{text!r} never came; output:\n" + "\n".join(self.lines))

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout=20)
        time.sleep(0.1)  # let the reader drain
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return code


@pytest.fixture
def repo(scratch: Path) -> Path:
    site = scratch / "site"
    (site / "api" / "schema" / "auth").mkdir(parents=True)
    (site / "readyz").write_text("ok")
    (scratch / "services").mkdir()
    return scratch


@pytest.fixture
def stacks() -> Iterator[list[Stack]]:
    started: list[Stack] = []
    yield started
    for stack in started:
        if stack.process.poll() is None:
            stack.stop()


def _all_ports_free(ports: Ports) -> bool:
    return all(port_is_free(ports.host, port) for port in ports.labelled().values())


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_runs_twice_on_the_same_data_and_stops_cleanly(
    repo: Path, ports: Ports, stacks: list[Stack]
) -> None:
    state = StateDir.for_repo(repo)
    chat_url = f"postgresql://chat@{ports.host}:{ports.postgres}/strata"
    redis_url = f"redis://{ports.host}:{ports.redis}/0"

    first = Stack(repo, ports)
    stacks.append(first)
    first.wait_for("Strata is up at")
    assert any(f"migrating as {chat_url}" in line for line in first.lines)
    gateway = f"http://{ports.host}:{ports.gateway}"
    assert _get(f"{gateway}/api/schema/auth/") == 200
    assert _get(f"{gateway}/metrics") == 404
    with psycopg.connect(chat_url, autocommit=True) as chat:
        chat.execute("CREATE TABLE kept (id int)")
    redis.Redis.from_url(redis_url).set("kept", "yes")
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = "hi", "a@strata.local", "b@strata.local"
    with smtplib.SMTP(ports.host, ports.smtp, timeout=5) as client:
        client.send_message(message)
    assert len(list(state.mail.glob("*.eml"))) == 1
    assert first.stop(signal.SIGTERM) == 0
    assert _all_ports_free(ports)
    assert list(state.run.glob("*.pid")) == []

    second = Stack(repo, ports)
    stacks.append(second)
    second.wait_for("Strata is up at")
    with psycopg.connect(chat_url, autocommit=True) as chat:
        kept = chat.execute("SELECT schemaname FROM pg_tables WHERE tablename = 'kept'")
        assert kept.fetchone() == ("chat",)
    assert redis.Redis.from_url(redis_url).get("kept") == b"yes"
    assert second.stop(signal.SIGINT) == 0
    assert _all_ports_free(ports)


def test_recovers_after_a_crash(repo: Path, ports: Ports, stacks: list[Stack]) -> None:
    crashed = Stack(repo, ports)
    stacks.append(crashed)
    crashed.wait_for("Strata is up at")
    crashed.stop(signal.SIGKILL)  # orphans: Postgres, Redis and the stub services
    assert not port_is_free(ports.host, ports.http["auth"])

    again = Stack(repo, ports)
    stacks.append(again)
    again.wait_for("Strata is up at")
    assert any("left by a crashed run" in line and "auth-http" in line for line in again.lines)
    assert again.stop() == 0
    assert _all_ports_free(ports)


def test_uses_the_servers_named_in_the_environment(
    repo: Path, ports: Ports, stacks: list[Stack], postgres: EmbeddedPostgres
) -> None:
    with EmbeddedRedis(repo / "outside-redis") as outside_redis:
        stack = Stack(repo, ports, DATABASE_URL=postgres.url(), REDIS_URL=outside_redis.url(3))
        stacks.append(stack)
        stack.wait_for("Strata is up at")
        chat_url = re.compile(
            rf"migrating as postgresql://chat:[^@]+@127\.0\.0\.1:{postgres.port}/strata "
            + re.escape(outside_redis.url(3))
        )
        assert any(chat_url.search(line) for line in stack.lines)
        assert port_is_free(ports.host, ports.postgres)
        assert port_is_free(ports.host, ports.redis)
        assert not (StateDir.for_repo(repo).pg_data / "PG_VERSION").exists()
        assert stack.stop() == 0
        assert outside_redis.running


def test_a_port_held_by_a_stranger_stops_the_start(repo: Path, ports: Ports) -> None:
    out = io.StringIO()
    with socket.socket() as stranger:
        stranger.bind((ports.host, ports.http["users"]))
        stranger.listen()
        config = RunConfig(repo=repo, state=StateDir.for_repo(repo), ports=ports, env={})
        assert run(config, Console(out, colour=False)) == 1
    assert f"{ports.host}:{ports.http['users']} (users-http) is already in use" in out.getvalue()
    assert not (StateDir.for_repo(repo).pg_data / "PG_VERSION").exists()


@pytest.fixture
def other_runner() -> Iterator[int]:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield sleeper.pid
    sleeper.kill()
    sleeper.wait()


def test_a_second_runner_on_the_same_state_is_refused(
    repo: Path, ports: Ports, other_runner: int
) -> None:
    state = StateDir.for_repo(repo)
    state.prepare()
    write_pid_file(state.run / RUNNER_PID_FILE, other_runner)
    out = io.StringIO()
    config = RunConfig(repo=repo, state=state, ports=ports, env={})
    assert run(config, Console(out, colour=False)) == 1
    assert f"already runs on {state.root} (pid {other_runner})" in out.getvalue()


def test_reset_refuses_while_running_and_wipes_otherwise(repo: Path, other_runner: int) -> None:
    state = StateDir.for_repo(repo)
    state.prepare()
    state.secret("internal-grpc-token")
    write_pid_file(state.run / RUNNER_PID_FILE, other_runner)
    assert reset(state, Console(io.StringIO())) == 1
    assert state.root.exists()

    (state.run / RUNNER_PID_FILE).unlink()
    assert reset(state, Console(io.StringIO())) == 0
    assert not state.root.exists()
