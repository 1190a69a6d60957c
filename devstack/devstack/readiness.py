"""Probes that tell whether a server is ready: HTTP 200, an open port, gRPC health."""

from __future__ import annotations

import urllib.error
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

# Status codes that prove a gRPC server is up even though it would not tell us its health.
_ANSWERED = (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAUTHENTICATED)


def http_ok(url: str, *, timeout: float = 2.0) -> bool:
    """True if a GET of ``url`` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (a URL we built)
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def grpc_serving(host: str, port: int, *, timeout: float = 2.0) -> bool:
    """True if the gRPC health service on ``host:port`` says SERVING.

    A server without a health service (UNIMPLEMENTED), or one that wants a credential
    for it (UNAUTHENTICATED), has answered a call, which is all a port check would prove.
    """
    with grpc.insecure_channel(f"{host}:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except grpc.RpcError as error:
            # The errors raised are also grpc.Call objects, which the stubs do not say.
            code = getattr(error, "code", None)
            return callable(code) and code() in _ANSWERED
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
