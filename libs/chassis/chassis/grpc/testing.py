"""A real gRPC server on a free loopback port, for tests of servicers and clients."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from chassis.grpc.server import GrpcServer, ServicerRegistration, build_server


@contextmanager
def running_server(*, servicers: Sequence[ServicerRegistration]) -> Iterator[GrpcServer]:
    """Build and start a server with the default interceptors; stop it on exit.

    Point the client at it with ``settings.GRPC_TARGETS[...] = f"127.0.0.1:{server.port}"``.
    """
    built = build_server(servicers=servicers, port=0)
    built.server.start()
    try:
        yield built
    finally:
        built.server.stop(None).wait()
