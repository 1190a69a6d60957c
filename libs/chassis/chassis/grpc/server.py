"""Build and run a Strata gRPC server.

:func:`build_server` assembles a server with the standard ``grpc.health.v1.Health``
service, reflection in debug only, and :func:`~chassis.grpc.interceptors.default_interceptors`.
:func:`serve` runs it as a process: Prometheus metrics on their own port, the health
status kept in step with the service's dependencies, and a graceful stop on SIGTERM/SIGINT.
"""

from __future__ import annotations

import importlib
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass
from types import FrameType
from typing import Any

import grpc
import structlog
from django.conf import settings
from django.db import close_old_connections
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import start_http_server

from chassis.grpc.interceptors import ServerInterceptor, default_interceptors

logger = structlog.get_logger(__name__)

# ``(add_XServicer_to_server, servicer)``, as protoc's ``*_pb2_grpc`` modules define them.
ServicerRegistration = tuple[Callable[[Any, grpc.Server], None], object]
DependencyCheck = Callable[[], list[str]]

# Handler threads per server; each holds its own database connection.
DEFAULT_MAX_WORKERS = 16
HEALTH_CHECK_INTERVAL_SECONDS = 5.0
SHUTDOWN_GRACE_SECONDS = 10.0

_SERVER_OPTIONS = [
    # Without this a second server could bind the same port and silently share traffic.
    ("grpc.so_reuseport", 0),
    # Accept the clients' keepalive pings (chassis.grpc.client pings every 30 s, idle too)
    # instead of answering them with GOAWAY "too_many_pings".
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 20_000),
]


@dataclass(frozen=True)
class GrpcServer:
    """A built (not yet started) server and what :func:`serve` needs to run it."""

    server: grpc.Server
    health: health.HealthServicer
    port: int
    service_names: tuple[str, ...]

    def set_serving(self, serving: bool) -> None:
        """Report every registered service, and the server as a whole, (not) serving."""
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", *self.service_names):
            self.health.set(name, status)


def service_name(add_to_server: Callable[[Any, grpc.Server], None]) -> str:
    """The full name of the service a protoc-generated ``add_XServicer_to_server`` adds.

    Read from the descriptor of the ``*_pb2`` module beside it, the source of truth.
    """
    grpc_module = add_to_server.__module__
    short_name = add_to_server.__name__.removeprefix("add_").removesuffix("Servicer_to_server")
    messages = importlib.import_module(grpc_module.removesuffix("_grpc"))
    try:
        return str(messages.DESCRIPTOR.services_by_name[short_name].full_name)
    except (AttributeError, KeyError) as error:
        raise ValueError(
            f"{grpc_module}.{add_to_server.__name__} is not a protoc-generated "
            "add_<Service>Servicer_to_server function"
        ) from error


def build_server(
    *,
    servicers: Sequence[ServicerRegistration],
    port: int,
    host: str = "127.0.0.1",
    max_workers: int = DEFAULT_MAX_WORKERS,
    interceptors: Sequence[ServerInterceptor] | None = None,
) -> GrpcServer:
    """Create a server with ``servicers``, the health service and (in DEBUG) reflection.

    ``port`` 0 picks a free port; the bound one is ``GrpcServer.port``. Every service
    starts SERVING. ``interceptors`` defaults to ``default_interceptors()``.
    """
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc"),
        interceptors=default_interceptors() if interceptors is None else list(interceptors),
        options=_SERVER_OPTIONS,
    )
    names = []
    for add_to_server, servicer in servicers:
        add_to_server(servicer, server)
        names.append(service_name(add_to_server))

    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    if settings.DEBUG:
        # Lets grpcurl and friends list and call the services; it also exposes the
        # schema, hence debug only.
        reflection.enable_server_reflection(
            (*names, health.SERVICE_NAME, reflection.SERVICE_NAME), server
        )

    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    bound_port = server.add_insecure_port(address)
    if bound_port == 0:  # older grpcio reports a failed bind this way instead of raising
        raise RuntimeError(f"gRPC server could not bind {address}")

    built = GrpcServer(
        server=server, health=health_servicer, port=bound_port, service_names=tuple(names)
    )
    built.set_serving(True)
    return built


def refresh_health(*, server: GrpcServer, check: DependencyCheck | None = None) -> list[str]:
    """Check the dependencies once and set the health status to match.

    ``check`` defaults to ``chassis.observability.health.failing_dependencies``. A check
    that raises counts as a failure. Returns the failing dependencies' names.
    """
    if check is None:
        # Imported here: it pulls in Redis and database code this module need not load.
        from chassis.observability.health import failing_dependencies

        check = failing_dependencies
    try:
        failing = check()
    except Exception:
        logger.exception("grpc_health_check_failed")
        failing = ["health_check"]
    finally:
        # The check may leave a broken connection in this long-lived thread.
        close_old_connections()
    server.set_serving(not failing)
    return failing


def start_health_watcher(
    *,
    server: GrpcServer,
    stop: threading.Event,
    interval: float = HEALTH_CHECK_INTERVAL_SECONDS,
    check: DependencyCheck | None = None,
) -> threading.Thread:
    """Run :func:`refresh_health` now, then in a thread every ``interval`` s until ``stop``.

    The first check runs before this returns, so a server started afterwards never
    reports SERVING while a dependency is down.
    """
    failing = refresh_health(server=server, check=check)
    logger.info("grpc_health_changed", serving=not failing, failing=failing)

    def watch(previous: list[str]) -> None:
        while not stop.wait(interval):
            current = refresh_health(server=server, check=check)
            if current != previous:
                logger.info("grpc_health_changed", serving=not current, failing=current)
                previous = current

    thread = threading.Thread(
        target=watch, args=(failing,), name="grpc-health-watcher", daemon=True
    )
    thread.start()
    return thread


def serve(
    *,
    servicers: Sequence[ServicerRegistration],
    port: int,
    metrics_port: int = 0,
    host: str = "127.0.0.1",
    metrics_host: str | None = None,
    max_workers: int = DEFAULT_MAX_WORKERS,
    grace: float = SHUTDOWN_GRACE_SECONDS,
    stop: threading.Event | None = None,
) -> None:
    """Run a server until SIGTERM/SIGINT (or until ``stop`` is set, when one is given).

    Also serves Prometheus metrics on ``metrics_host:metrics_port`` (``metrics_host``
    defaults to ``host``; ``metrics_port`` 0 means none, as for the other metrics ports)
    and keeps the health status in step with the dependencies. On stop, every service turns
    NOT_SERVING first, then in-flight calls get ``grace`` seconds to finish.
    """
    built = build_server(servicers=servicers, port=port, host=host, max_workers=max_workers)
    if stop is None:
        stop = _stop_on_signals()
    metrics_server = None
    if metrics_port:
        metrics_server, _thread = start_http_server(metrics_port, addr=metrics_host or host)
    watcher = start_health_watcher(server=built, stop=stop)
    built.server.start()
    logger.info(
        "grpc_server_started",
        host=host,
        port=built.port,
        services=list(built.service_names),
        metrics_port=metrics_server.server_port if metrics_server else None,
    )

    stop.wait()
    logger.info("grpc_server_stopping", grace_seconds=grace)
    # Probes and load balancers see NOT_SERVING while in-flight calls drain.
    built.health.enter_graceful_shutdown()
    watcher.join()
    built.server.stop(grace).wait()
    if metrics_server is not None:
        metrics_server.shutdown()
        metrics_server.server_close()
    logger.info("grpc_server_stopped")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()  # only this: a signal handler must not take locks logging may hold

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop
