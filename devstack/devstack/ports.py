"""The ports the dev stack listens on, and the check that they are free before it starts."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Ports:
    """Where everything listens. The defaults are the documented dev ports (CONTRACT §0, §8)."""

    host: str = "127.0.0.1"
    postgres: int = 55432
    redis: int = 56379
    smtp: int = 51025
    gateway: int = 8080
    websocket: int = 8005
    http: Mapping[str, int] = field(
        default_factory=lambda: {"auth": 8001, "users": 8002, "chat": 8003, "worker": 8004}
    )
    grpc: Mapping[str, int] = field(default_factory=lambda: {"auth": 50051, "users": 50052})
    grpc_metrics: Mapping[str, int] = field(default_factory=lambda: {"auth": 9151, "users": 9152})
    celery_metrics: Mapping[str, int] = field(
        default_factory=lambda: {"auth": 9161, "users": 9162, "chat": 9163, "worker": 9164}
    )

    def labelled(self) -> dict[str, int]:
        """Every port by a label naming its user, for messages and the free-port check."""
        labelled = {
            "postgres": self.postgres,
            "redis": self.redis,
            "smtp": self.smtp,
            "gateway": self.gateway,
            "chat-ws": self.websocket,
        }
        for kind, table in (
            ("http", self.http),
            ("grpc", self.grpc),
            ("grpc-metrics", self.grpc_metrics),
            ("celery-metrics", self.celery_metrics),
        ):
            labelled.update({f"{service}-{kind}": port for service, port in table.items()})
        return labelled


class PortInUse(RuntimeError):
    """A port the dev stack needs is held by a process that is not ours."""


def port_is_free(host: str, port: int) -> bool:
    """True if a server could bind ``host:port`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option servers use, so a socket in TIME_WAIT does not count as taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def ensure_ports_free(host: str, ports: Mapping[str, int]) -> None:
    """Raise :class:`PortInUse` naming the first of ``ports`` (label -> port) that is taken."""
    for label, port in ports.items():
        if not port_is_free(host, port):
            holder = listener_of(port)
            by = f" by {holder}" if holder else ""
            raise PortInUse(f"port {host}:{port} ({label}) is already in use{by}")


def listener_of(port: int) -> str | None:
    """Best effort: 'pid N (command line)' of the process listening on TCP ``port`` (Linux)."""
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not sockets:
        return None
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and sockets & _open_files(proc):
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            except OSError:
                cmdline = "?"
            return f"pid {proc.name} ({cmdline[:120]})"
    return None


def _open_files(proc: Path) -> set[str]:
    links = set()
    try:
        for fd in (proc / "fd").iterdir():
            with suppress(OSError):  # closed meanwhile
                links.add(os.readlink(fd))
    except OSError:  # gone, or not ours to look at
        pass
    return links


def _listening_inodes(port: int) -> set[str]:
    listen_state = "0A"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == listen_state:
                inodes.add(fields[9])
    return inodes
