"""The process table: every command the dev stack runs for the services, in one place.

Each service lives in ``services/<svc>/`` (package ``<svc>_service``) and every command
runs from there with this virtualenv's interpreter and console scripts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devstack.database import SERVICES
from devstack.ports import Ports
from devstack.state import StateDir

READY_KINDS = ("tcp", "grpc", "alive", "exit")


@dataclass(frozen=True)
class ProcessSpec:
    """One process to supervise.

    ``ready`` says when the process counts as up:

    - an ``http://`` URL: a GET answers 200;
    - ``"tcp"``: ``port`` accepts connections;
    - ``"grpc"``: the standard health service on ``port`` answers SERVING (or the server
      answers at all but has no health service for us to ask);
    - ``"log:<text>"``: a line of output contains ``<text>``, or ``port`` accepts connections;
    - ``"alive"``: still running a couple of seconds after start;
    - ``"exit"``: a one-shot command, done when it exits with status 0.
    """

    name: str
    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str] = field(repr=False)
    port: int | None = None
    ready: str = "tcp"
    # Wiped and recreated right before the process starts (its metrics directory).
    scratch_dir: Path | None = None
    host: str = "127.0.0.1"  # where ``port`` listens

    def __post_init__(self) -> None:
        known = self.ready in READY_KINDS or self.ready.startswith(("http://", "log:"))
        if not known:
            raise ValueError(f"{self.name}: unknown readiness {self.ready!r}")
        if self.ready in ("tcp", "grpc") and self.port is None:
            raise ValueError(f"{self.name}: readiness {self.ready!r} needs a port")


@dataclass(frozen=True)
class Backends:
    """The shared servers and secrets the services are pointed at."""

    database_urls: Mapping[str, str]  # service -> URL with the service's own role
    redis_url: str
    email_url: str
    grpc_token: str
    secret_keys: Mapping[str, str]  # service -> DJANGO_SECRET_KEY


@dataclass(frozen=True)
class Platform:
    """What the process table is built from."""

    repo: Path
    state: StateDir
    ports: Ports
    backends: Backends
    base_env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)
    services: Sequence[str] = SERVICES

    def service_dir(self, service: str) -> Path:
        return self.repo / "services" / service

    def metrics_dir(self, process_name: str) -> Path:
        return self.state.prometheus / process_name


def service_env(platform: Platform, service: str, process_name: str) -> dict[str, str]:
    """The environment of one service process: the caller's, plus the dev stack's wiring.

    ``STRATA_RELAXED_THROTTLES`` and anything else the caller set pass through unchanged.
    """
    backends, ports = platform.backends, platform.ports
    env = dict(platform.base_env)
    env.update(
        {
            "STRATA_ENV": "development",
            "DATABASE_URL": backends.database_urls[service],
            "REDIS_URL": backends.redis_url,
            "EMAIL_URL": backends.email_url,
            "INTERNAL_GRPC_TOKEN": backends.grpc_token,
            "DJANGO_SECRET_KEY": backends.secret_keys[service],
            "AUTH_GRPC_TARGET": f"{ports.host}:{ports.grpc['auth']}",
            "USERS_GRPC_TARGET": f"{ports.host}:{ports.grpc['users']}",
            "PROMETHEUS_MULTIPROC_DIR": str(platform.metrics_dir(process_name)),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _spec(
    platform: Platform,
    service: str,
    name: str,
    argv: Sequence[str],
    *,
    port: int | None = None,
    ready: str = "tcp",
    extra_env: Mapping[str, str] | None = None,
) -> ProcessSpec:
    env = service_env(platform, service, name)
    env.update(extra_env or {})
    return ProcessSpec(
        name,
        tuple(argv),
        platform.service_dir(service),
        env,
        port,
        ready,
        scratch_dir=platform.metrics_dir(name),
        host=platform.ports.host,
    )


def migration_processes(platform: Platform) -> list[ProcessSpec]:
    """One ``manage.py migrate`` per service; each migrates its own schema only."""
    return [
        _spec(
            platform,
            service,
            f"{service}-migrate",
            [sys.executable, "manage.py", "migrate", "--noinput"],
            ready="exit",
        )
        for service in platform.services
    ]


def service_processes(platform: Platform) -> list[ProcessSpec]:
    """Every long-running service process, grouped by service."""
    ports, host = platform.ports, platform.ports.host
    specs: list[ProcessSpec] = []
    for service in platform.services:
        package = f"{service}_service"
        if service in ports.http:
            http = ports.http[service]
            argv = [_bin("granian"), "--interface", "wsgi", "--host", host, "--port", str(http)]
            argv += ["--workers", "1", "--blocking-threads", "4", f"{package}.wsgi:application"]
            specs.append(
                _spec(
                    platform,
                    service,
                    f"{service}-http",
                    argv,
                    port=http,
                    ready=f"http://{host}:{http}/readyz",
                )
            )
        if service == "chat":
            ws = ports.websocket
            # No access log: WebSocket URLs may carry ?token=<access token>. A bounded
            # graceful shutdown, since open sockets would otherwise hold it up.
            argv = [_bin("uvicorn"), f"{package}.asgi:application", "--host", host]
            argv += ["--port", str(ws), "--no-access-log", "--timeout-graceful-shutdown", "5"]
            ready = f"http://{host}:{ws}/readyz"
            specs.append(_spec(platform, service, "chat-ws", argv, port=ws, ready=ready))
        if service in ports.grpc:
            grpc, metrics = ports.grpc[service], ports.grpc_metrics[service]
            argv = [sys.executable, "manage.py", "grpcserver", "--port", str(grpc)]
            argv += ["--metrics-port", str(metrics)]
            specs.append(_spec(platform, service, f"{service}-grpc", argv, port=grpc, ready="grpc"))
        metrics = ports.celery_metrics[service]
        argv = [_bin("celery"), "-A", package, "worker", "--queues", service]
        # Two worker processes, as the chart and the image run by default: with one, an
        # event waits behind every task before it (chat's queue saturated at ~80 events/s).
        argv += ["--concurrency", "2", "--hostname", f"{service}@%h"]
        # Celery sets the root logger's level from --loglevel (WARNING by default).
        argv += ["--without-mingle", "--without-gossip", "--loglevel", "INFO"]
        specs.append(
            _spec(
                platform,
                service,
                f"{service}-celery",
                argv,
                port=metrics,
                ready="log:ready.",
                extra_env={"CELERY_METRICS_PORT": str(metrics)},
            )
        )
    if "worker" in platform.services:
        schedule = platform.state.run / "celerybeat-schedule"
        argv = [_bin("celery"), "-A", "worker_service", "beat", "--schedule", str(schedule)]
        argv += ["--loglevel", "INFO"]
        specs.append(_spec(platform, "worker", "worker-beat", argv, ready="alive"))
    return specs
