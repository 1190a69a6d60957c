"""Shared fixtures: a real Postgres for the bootstrap tests, free ports, process cleanup."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from chassis.embedded import EmbeddedPostgres
from chassis.embedded.process import free_port
from devstack.console import Console
from devstack.ports import Ports
from devstack.supervisor import Supervisor


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A private temporary directory.

    Not pytest's tmp_path: a concurrent pytest session of another suite prunes old
    /tmp/pytest-of-<user> directories, which could pull a data dir from under a server.
    """
    with tempfile.TemporaryDirectory(prefix="devstack-test-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def postgres() -> Iterator[EmbeddedPostgres]:
    """A throwaway Postgres on a free port, for the whole session."""
    with scratch_dir() as scratch, EmbeddedPostgres(scratch / "data") as server:
        yield server


@pytest.fixture
def scratch() -> Iterator[Path]:
    with scratch_dir() as path:
        yield path


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Supervisor]:
    """A supervisor writing into a temporary state directory; stops what it started."""
    sup = Supervisor(
        run_dir=tmp_path / "run", log_dir=tmp_path / "logs", console=Console(colour=False), grace=3
    )
    yield sup
    sup.stop_all()


@pytest.fixture
def ports() -> Ports:
    """A full set of distinct ports that are free right now."""
    taken: set[int] = set()

    def one() -> int:
        port = free_port()
        while port in taken:
            port = free_port()
        taken.add(port)
        return port

    return Ports(
        postgres=one(),
        redis=one(),
        smtp=one(),
        gateway=one(),
        websocket=one(),
        http={svc: one() for svc in ("auth", "users", "chat", "worker")},
        grpc={svc: one() for svc in ("auth", "users")},
        grpc_metrics={svc: one() for svc in ("auth", "users")},
        celery_metrics={svc: one() for svc in ("auth", "users", "chat", "worker")},
    )
