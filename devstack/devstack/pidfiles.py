"""Pid files under ``.devstack/run/`` and the process groups they name.

Every process the dev stack starts leads its own process group, and its pid file records
the pid with the process's start time, so a later run can tell its own orphans (left by
a crash) from an unrelated process that happens to reuse the pid.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

RUNNER_PID_FILE = "devstack.pid"
_PROC = Path("/proc")


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), or None if unknown."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # Fields after the parenthesised command name; starttime is field 22 of the whole line.
    return stat.rsplit(")", 1)[1].split()[19]


def _live_members(pgid: int) -> list[int]:
    """Pids of the non-zombie processes in group ``pgid`` (zombies hold no ports)."""
    if not _PROC.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        except PermissionError:
            pass
        return [pgid]
    members = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def group_is_alive(pgid: int) -> bool:
    """True while any live process remains in the group."""
    return bool(_live_members(pgid))


def signal_group(pgid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to a whole process group, ignoring a group that is already gone."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_groups(
    pgids: Iterable[int],
    *,
    grace: float,
    reap: Callable[[], None] = lambda: None,
    hurry: Callable[[], bool] = lambda: False,
) -> None:
    """SIGTERM every group, wait up to ``grace`` seconds, then SIGKILL what is left.

    ``reap`` lets the caller collect its own children's exit statuses while waiting;
    ``hurry`` cuts the grace period short (a second Ctrl-C).
    """
    pending = list(pgids)
    for pgid in pending:
        signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and not hurry():
        reap()
        pending = [pgid for pgid in pending if group_is_alive(pgid)]
        if not pending:
            return
        time.sleep(0.05)
    for pgid in pending:
        signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and any(group_is_alive(pgid) for pgid in pending):
        reap()
        time.sleep(0.05)
    reap()


@dataclass(frozen=True)
class PidRecord:
    """What a pid file says: the pid (which is also the process group id) and when it started."""

    pid: int
    start_time: str | None

    @classmethod
    def of(cls, pid: int) -> PidRecord:
        return cls(pid, process_start_time(pid))

    def is_running(self) -> bool:
        """True if the recorded process itself still runs (not a stranger reusing its pid)."""
        current = process_start_time(self.pid)
        if current is not None:
            return self.start_time is None or current == self.start_time
        # No start time to compare (no /proc, or no such process): ask the kernel.
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def group_is_ours(self) -> bool:
        """True if the recorded group still has members that belong to us.

        A dead leader's group lives on while its children do, and Linux never hands out
        a pid still used as a group id, so only a live stranger under the pid disqualifies it.
        """
        leader_start = process_start_time(self.pid)
        if None not in (leader_start, self.start_time) and leader_start != self.start_time:
            return False
        return group_is_alive(self.pid)


def write_pid_file(path: Path, pid: int) -> None:
    """Record ``pid`` and its start time in ``path``."""
    record = PidRecord.of(pid)
    path.write_text(f"{record.pid} {record.start_time or '-'}\n")


def read_pid_file(path: Path) -> PidRecord | None:
    """The record in ``path``, or None when the file is missing or unreadable."""
    try:
        fields = path.read_text().split()
        pid = int(fields[0])
    except (OSError, ValueError, IndexError):
        return None
    start = fields[1] if len(fields) > 1 and fields[1] != "-" else None
    return PidRecord(pid, start)


def running_runner(run_dir: Path) -> PidRecord | None:
    """The dev stack runner recorded in ``run_dir`` if it is still alive."""
    record = read_pid_file(run_dir / RUNNER_PID_FILE)
    return record if record is not None and record.is_running() else None


def kill_orphans(run_dir: Path, *, grace: float = 5.0) -> list[str]:
    """Stop the process groups a crashed run left behind; return their names.

    Only the groups recorded in ``run_dir/*.pid`` are touched, never the runner's own file.
    Every stale pid file is removed.
    """
    orphans: dict[str, int] = {}
    for pid_file in sorted(run_dir.glob("*.pid")):
        if pid_file.name == RUNNER_PID_FILE:
            continue
        record = read_pid_file(pid_file)
        if record is not None and record.group_is_ours():
            orphans[pid_file.stem] = record.pid
    stop_groups(orphans.values(), grace=grace)
    for pid_file in run_dir.glob("*.pid"):
        if pid_file.name != RUNNER_PID_FILE:
            pid_file.unlink(missing_ok=True)
    return list(orphans)
