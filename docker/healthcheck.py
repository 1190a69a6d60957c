#!/app/.venv/bin/python
"""Container health checks for docker compose (Kubernetes uses its own native probes).

    strata-healthcheck http PORT PATH   GET http://127.0.0.1:PORT/PATH answers 2xx
    strata-healthcheck grpc PORT        the standard gRPC health service answers SERVING
    strata-healthcheck tcp PORT         something accepts connections on PORT

Exit status 0 when healthy, 1 otherwise, with the reason on stderr.
"""

from __future__ import annotations

import socket
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 3.0
HOST = "127.0.0.1"


def check_http(port: int, path: str) -> str | None:
    url = f"http://{HOST}:{port}/{path.lstrip('/')}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        return f"{url} answered {error.code}"
    except OSError as error:
        return f"{url}: {error}"
    return None if 200 <= status < 300 else f"{url} answered {status}"


def check_grpc(port: int) -> str | None:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"{HOST}:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            return f"gRPC health on port {port}: {error.code().name}"
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        return f"gRPC health on port {port}: {status}"
    return None


def check_tcp(port: int) -> str | None:
    try:
        with socket.create_connection((HOST, port), timeout=TIMEOUT_SECONDS):
            return None
    except OSError as error:
        return f"port {port}: {error}"


def main(argv: list[str]) -> int:
    match argv:
        case ["http", port, path]:
            problem = check_http(int(port), path)
        case ["grpc", port]:
            problem = check_grpc(int(port))
        case ["tcp", port]:
            problem = check_tcp(int(port))
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
