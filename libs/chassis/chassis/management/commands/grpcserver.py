"""``python manage.py grpcserver``: run this service's gRPC server until SIGTERM/SIGINT.

The servicers come from ``settings.GRPC_SERVICERS``: a list of dotted paths to callables
that take no argument and return one ``(add_XServicer_to_server, servicer)`` tuple, the
registration function protoc generated and an instance of the service's servicer::

    # users_service/grpc.py
    def user_directory() -> ServicerRegistration:
        return add_UserDirectoryServicer_to_server, UserDirectoryServicer()

    # settings.py
    GRPC_SERVICERS = ["users_service.grpc.user_directory"]

Callables rather than instances, so that importing settings imports no servicer code.
The port defaults to ``settings.GRPC_PORT``, the Prometheus metrics port to
``settings.GRPC_METRICS_PORT`` and the host to ``settings.GRPC_HOST`` when it is defined
(``127.0.0.1`` otherwise; containers pass ``--host 0.0.0.0``).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from chassis.grpc.server import DEFAULT_MAX_WORKERS, ServicerRegistration, serve


def load_servicers(paths: list[str]) -> list[ServicerRegistration]:
    """Import each dotted path and call it for its ``(add_to_server, servicer)`` tuple."""
    registrations = []
    for path in paths:
        try:
            factory = import_string(path)
        except ImportError as error:
            raise CommandError(f"GRPC_SERVICERS: cannot import {path!r}: {error}") from error
        registrations.append(factory())
    return registrations


class Command(BaseCommand):
    help = "Run the gRPC server with the servicers listed in settings.GRPC_SERVICERS."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=getattr(settings, "GRPC_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=settings.GRPC_PORT)
        parser.add_argument("--metrics-port", type=int, default=settings.GRPC_METRICS_PORT)
        parser.add_argument("--max-workers", type=int, default=DEFAULT_MAX_WORKERS)

    def handle(self, *args: Any, **options: Any) -> None:
        # An empty list still serves the health service, so orchestration and the dev
        # stack can run the process before the service has RPCs of its own.
        servicers = load_servicers(list(settings.GRPC_SERVICERS))
        serve(
            servicers=servicers,
            port=options["port"],
            metrics_port=options["metrics_port"],
            host=options["host"],
            max_workers=options["max_workers"],
        )
