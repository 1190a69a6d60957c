"""Runs the process table: start, prefix output, wait for readiness, watch, stop.

Each child leads its own process group (and session), so a terminal's Ctrl-C reaches
only the supervisor, which then stops every group in an orderly way; signalling the
group also reaches the workers a server forks.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO

from chassis.embedded.process import port_is_open
from devstack.console import Console
from devstack.pidfiles import stop_groups, write_pid_file
from devstack.processes import ProcessSpec
from devstack.readiness import grpc_serving, http_ok

TAIL_LINES = 30
# How long an "alive" process must keep running to count as started.
ALIVE_AFTER = 2.0


class StopRequested(Exception):
    """Ctrl-C or SIGTERM arrived while the supervisor was waiting."""


class ProcessFailed(RuntimeError):
    """A process exited when it should not have, failed, or never became ready."""

    def __init__(self, name: str, reason: str, tail: Sequence[str] = ()) -> None:
        super().__init__(f"{name} {reason}")
        self.name = name
        self.tail = list(tail)


class Child:
    """One running process: its group, its output, what it printed last."""

    def __init__(self, spec: ProcessSpec, *, log_dir: Path, console: Console) -> None:
        self.spec = spec
        self.started = time.monotonic()
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._console = console
        self._wanted = spec.ready[len("log:") :] if spec.ready.startswith("log:") else None
        self._seen = threading.Event()
        self._log: IO[str] = (log_dir / f"{spec.name}.log").open("w", encoding="utf-8")
        self._log.write(f"--- {datetime.now(UTC).isoformat()} {' '.join(spec.argv)}\n")
        try:
            self.process = subprocess.Popen(
                spec.argv,
                cwd=spec.cwd,
                env=dict(spec.env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:
            self._log.close()
            raise ProcessFailed(spec.name, f"could not start: {error}") from error
        self._reader = threading.Thread(target=self._pump, name=f"out-{spec.name}", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        """The leader's pid, which is also the group id."""
        return self.process.pid

    @property
    def name(self) -> str:
        return self.spec.name

    def poll(self) -> int | None:
        return self.process.poll()

    def is_ready(self) -> bool:
        """Probe once, as the spec's readiness says."""
        spec, host = self.spec, self.spec.host
        if spec.ready.startswith("http://"):
            return http_ok(spec.ready)
        if spec.ready == "tcp" and spec.port is not None:
            return port_is_open(host, spec.port)
        if spec.ready == "grpc" and spec.port is not None:
            return port_is_open(host, spec.port) and grpc_serving(host, spec.port)
        if self._wanted is not None:
            return self._seen.is_set() or (spec.port is not None and port_is_open(host, spec.port))
        if spec.ready == "alive":
            return time.monotonic() - self.started >= ALIVE_AFTER
        return False

    def failed(self, reason: str) -> ProcessFailed:
        """The error describing this child's failure, with its last lines of output."""
        self.finish_output()
        return ProcessFailed(self.name, reason, self.tail)

    def finish_output(self, timeout: float = 2.0) -> None:
        """Wait for the rest of the output, then close the log file."""
        self._reader.join(timeout)
        if not self._reader.is_alive():
            self._log.close()

    def _pump(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        for raw in stream:
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            self.tail.append(text)
            self._console.line(self.spec.name, text)
            self._log.write(text + "\n")
            self._log.flush()
            if self._wanted is not None and self._wanted in text:
                self._seen.set()
        stream.close()


class Supervisor:
    """Owns every child it starts until :meth:`stop_all`.

    ``stop`` is the event a signal handler sets; every wait gives up with
    :class:`StopRequested` once it is set. ``hurry`` cuts the stop grace period short.
    """

    def __init__(
        self,
        *,
        run_dir: Path,
        log_dir: Path,
        console: Console,
        grace: float = 10.0,
        stop: threading.Event | None = None,
        hurry: threading.Event | None = None,
    ) -> None:
        self.run_dir = run_dir
        self.log_dir = log_dir
        self.console = console
        self.grace = grace
        self.stop = stop or threading.Event()
        self.hurry = hurry or threading.Event()
        self.children: list[Child] = []

    def start(self, spec: ProcessSpec) -> Child:
        """Start one process in its own group and record its pid file."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if spec.scratch_dir is not None:
            shutil.rmtree(spec.scratch_dir, ignore_errors=True)
            spec.scratch_dir.mkdir(parents=True)
        child = Child(spec, log_dir=self.log_dir, console=self.console)
        self.children.append(child)
        write_pid_file(self._pid_file(child), child.pid)
        return child

    def run_to_completion(self, specs: Sequence[ProcessSpec], *, timeout: float) -> None:
        """Run one-shot commands side by side; raise :class:`ProcessFailed` if any fails."""
        children = [self.start(spec) for spec in specs]
        deadline = time.monotonic() + timeout
        pending = list(children)
        while pending:
            self._check_stop()
            for child in list(pending):
                code = child.poll()
                if code is None:
                    continue
                pending.remove(child)
                self._forget(child)
                if code != 0:
                    raise child.failed(f"failed with exit status {code}")
            if pending and time.monotonic() > deadline:
                raise pending[0].failed(f"did not finish within {timeout:.0f}s")
            time.sleep(0.1)

    def wait_ready(self, children: Iterable[Child], *, timeout: float) -> None:
        """Return once every child is ready; raise if one dies or the time runs out."""
        pending = list(children)
        deadline = time.monotonic() + timeout
        while pending:
            self._check_stop()
            self._check_alive()
            for child in list(pending):
                if child.is_ready():
                    pending.remove(child)
            if pending and time.monotonic() > deadline:
                raise pending[0].failed(f"was not ready within {timeout:.0f}s")
            time.sleep(0.2)

    def watch(self) -> None:
        """Block until a stop is requested (return) or a child dies (raise)."""
        while not self.stop.wait(0.25):
            self._check_alive()

    def stop_all(self) -> None:
        """Stop every child's group: SIGTERM, the grace period, then SIGKILL."""
        children, self.children = self.children, []

        def reap() -> None:
            for child in children:
                child.poll()

        stop_groups(
            [child.pid for child in children], grace=self.grace, reap=reap, hurry=self.hurry.is_set
        )
        for child in children:
            child.finish_output()
            self._pid_file(child).unlink(missing_ok=True)

    def _forget(self, child: Child) -> None:
        child.finish_output()
        self.children.remove(child)
        self._pid_file(child).unlink(missing_ok=True)

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise StopRequested

    def _check_alive(self) -> None:
        for child in self.children:
            code = child.poll()
            if code is not None:
                raise child.failed(f"exited unexpectedly with status {code}")

    def _pid_file(self, child: Child) -> Path:
        return self.run_dir / f"{child.name}.pid"


@contextmanager
def stop_signals(stop: threading.Event, hurry: threading.Event) -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into ``stop``; a second one sets ``hurry`` too.

    The handler only sets events: printing from it could deadlock on the console's lock.
    """
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            hurry.set()
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
