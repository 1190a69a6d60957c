"""A crashed run's orphans are found through their pid files, and only those."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chassis.embedded.process import free_port, wait_until
from devstack.pidfiles import PidRecord, group_is_alive, kill_orphans, read_pid_file, write_pid_file
from devstack.ports import port_is_free


@pytest.fixture
def orphan() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """An http.server in its own session, as a crashed run would leave it."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_until(lambda: not port_is_free("127.0.0.1", port), timeout=10, what="stub server")
    yield process, port
    process.kill()
    process.wait()


def test_orphans_recorded_in_pid_files_are_killed(
    orphan: tuple[subprocess.Popen[bytes], int], tmp_path: Path
) -> None:
    process, port = orphan
    write_pid_file(tmp_path / "auth-http.pid", process.pid)

    assert kill_orphans(tmp_path, grace=5) == ["auth-http"]

    process.wait(timeout=5)
    assert port_is_free("127.0.0.1", port)
    assert list(tmp_path.glob("*.pid")) == []


def test_a_reused_pid_is_left_alone(
    orphan: tuple[subprocess.Popen[bytes], int], tmp_path: Path
) -> None:
    process, port = orphan
    # Same pid, different start time: the pid now belongs to someone else.
    (tmp_path / "auth-http.pid").write_text(f"{process.pid} 1\n")

    assert kill_orphans(tmp_path, grace=1) == []

    assert process.poll() is None
    assert not port_is_free("127.0.0.1", port)
    assert list(tmp_path.glob("*.pid")) == []


def test_stale_and_garbled_pid_files_are_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    dead.wait()
    write_pid_file(tmp_path / "gone.pid", dead.pid)
    (tmp_path / "garbled.pid").write_text("not a pid")

    assert kill_orphans(tmp_path) == []
    assert list(tmp_path.glob("*.pid")) == []


def test_pid_records_round_trip(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True
    )
    try:
        write_pid_file(tmp_path / "x.pid", process.pid)
        record = read_pid_file(tmp_path / "x.pid")
        assert record == PidRecord.of(process.pid)
        assert record is not None
        assert record.is_running()
        assert group_is_alive(process.pid)
    finally:
        process.kill()
        process.wait()
    assert not record.is_running()
    assert not group_is_alive(process.pid)
