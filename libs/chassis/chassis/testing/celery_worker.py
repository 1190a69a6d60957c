"""A real Celery worker in a subprocess, for tests about delivery, retries and crashes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 5000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def eventually(check: Callable[[], bool], *, log: Path, timeout: float = 20) -> None:
    """Wait for ``check`` to hold; on time-out, fail with the worker's last log lines."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out; worker log:\n{log.read_text(errors='replace')[-5000:]}")
        time.sleep(0.05)


def database_url_for_subprocesses() -> str:
    """The URL of the database the test run uses, for a server or worker in another process."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextmanager
def celery_worker(
    *,
    app: str,
    queues: list[str],
    cwd: Path,
    log: Path,
    env: dict[str, str] | None = None,
    pool: str = "solo",
    concurrency: int = 1,
) -> Iterator[WorkerProcess]:
    """Start ``celery -A app worker`` on the test database and Redis; kill it on exit.

    Returns once the worker says it is ready. Its own settings module comes from
    ``DJANGO_SETTINGS_MODULE``, its database is the test database.
    """
    environment = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocesses(),
        "LOG_FORMAT": "console",
        **(env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", app, "worker",
                "-Q", ",".join(queues),
                "-P", pool,
                "-c", str(concurrency),
                "-n", f"test-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-l", "INFO",
            ],
            cwd=cwd,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        eventually(lambda: b" ready." in log.read_bytes() or process.poll() is not None, log=log)
        assert process.poll() is None, log.read_text(errors="replace")
        yield WorkerProcess(process=process, log=log)
    finally:
        # Nothing of the worker's state matters after the test: no graceful shutdown.
        if process.poll() is None:
            os.killpg(process.pid, 9)
        process.wait()
