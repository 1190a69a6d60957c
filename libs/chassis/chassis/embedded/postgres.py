"""A Postgres server run from the ``pgserver`` wheel's binaries.

``pgserver.get_server`` only listens on a Unix socket and ties the server's life to the
Python process that asked for it; the dev stack needs a fixed TCP port that outlives no
one, so this drives the same binaries directly.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import psycopg

from chassis.embedded.process import (
    StartStop,
    free_port,
    kill_stale,
    parent_death_signal,
    pid_is_alive,
    wait_until,
)

# Postgres refuses to run as root; as root we run it as this system user (as pgserver does).
_SYSTEM_USER = "pgserver"


def _bin_dir() -> Path:
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


class EmbeddedPostgres(StartStop):
    """Owns one data directory and the server that runs on it.

    ``start()`` initialises the directory when it is new, clears a server left behind by a
    crash, and returns once the server accepts connections. The superuser is ``postgres``
    with trust authentication on loopback only.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        die_with_parent: bool = False,
    ):
        self.data_dir = Path(data_dir).resolve()
        self.die_with_parent = die_with_parent
        self.host = host
        self.port = port or free_port(host)
        self._process: subprocess.Popen[bytes] | None = None
        self._run_as: str | None = None

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@{self.host}:{self.port}/{database}"

    def start(self, *, timeout: float = 60.0) -> None:
        self._prepare_user()
        kill_stale(self.data_dir / "postmaster.pid", program="postgres")
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        log = (self.data_dir.parent / "postgres.log").open("ab")
        self._process = subprocess.Popen(
            [
                str(_bin_dir() / "postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-h",
                self.host,
                # The socket lives in the data dir so no two servers share /tmp's lock files.
                "-k",
                str(self.data_dir),
                "-c",
                "fsync=off" if os.environ.get("CI") else "fsync=on",
                "-c",
                "max_connections=300",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            user=self._run_as,
            start_new_session=True,
            # SIGINT is Postgres's fast shutdown.
            preexec_fn=parent_death_signal(signal.SIGINT) if self.die_with_parent else None,
        )
        log.close()
        wait_until(self._accepts_connections, timeout=timeout, what="embedded Postgres")

    def stop(self, *, timeout: float = 30.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # "fast" shutdown: roll back, close, exit
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and pid_is_alive(self._process.pid) else None

    def _prepare_user(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return
        import pwd
        import stat

        from pgserver.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(_SYSTEM_USER)
        self._run_as = _SYSTEM_USER
        ensure_prefix_permissions(self.data_dir)
        ensure_folder_permissions(
            _bin_dir(), stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        )
        ensure_folder_permissions(_bin_dir().parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        entry = pwd.getpwnam(_SYSTEM_USER)
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)

    def _initdb(self) -> None:
        # initdb wants an empty directory; a half-made one from a crash is not worth saving.
        for child in self.data_dir.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        subprocess.run(
            [
                str(_bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
            ],
            check=True,
            capture_output=True,
            user=self._run_as,
        )

    def _accepts_connections(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            log = self.data_dir.parent / "postgres.log"
            raise RuntimeError(f"embedded Postgres exited; see {log}")
        try:
            with psycopg.connect(self.url(), connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False
