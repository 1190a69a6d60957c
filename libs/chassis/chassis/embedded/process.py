"""Shared plumbing for the embedded servers: free ports, readiness waits, stale pids."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the kernel for a port that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")


def pid_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _runs(pid: int, program: str) -> bool:
    try:
        return program in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def kill_stale(pid_file: Path, *, program: str, timeout: float = 10.0) -> None:
    """Stop a server left behind by a crashed run, then forget its pid file.

    Only a process whose command line names ``program`` is signalled: after a reboot the
    recorded pid may belong to something else entirely.
    """
    try:
        pid = int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        pid_file.unlink(missing_ok=True)
        return
    if pid_is_alive(pid) and _runs(pid, program):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_is_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_is_alive(pid):
            os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


def parent_death_signal(sig: int) -> Callable[[], None]:
    """A ``preexec_fn`` that has the kernel send ``sig`` when the starting process dies.

    Test runs use it so a killed pytest never leaves a database server behind.
    """
    import ctypes

    def arm() -> None:
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, sig)

    return arm


class StartStop:
    """``with server:`` starts it and stops it, whatever happens inside."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
