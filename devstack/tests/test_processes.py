"""The process table and the environment every service process gets."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from devstack.ports import Ports
from devstack.processes import (
    Backends,
    Platform,
    migration_processes,
    service_env,
    service_processes,
)
from devstack.state import StateDir

SERVICES = ("auth", "users", "chat", "worker")


@pytest.fixture
def platform(tmp_path: Path) -> Platform:
    backends = Backends(
        database_urls={svc: f"postgresql://{svc}@127.0.0.1:55432/strata" for svc in SERVICES},
        redis_url="redis://127.0.0.1:56379/0",
        email_url="smtp://127.0.0.1:51025",
        grpc_token="token",
        secret_keys={svc: f"key-{svc}" for svc in SERVICES},
    )
    base_env = {
        "PATH": "/usr/bin",
        "STRATA_RELAXED_THROTTLES": "1",
        "DATABASE_URL": "postgresql://postgres@elsewhere/strata",
    }
    return Platform(
        tmp_path, StateDir(tmp_path / ".devstack"), Ports(), backends, base_env=base_env
    )


def test_service_env_wires_the_service_to_its_own_role(platform: Platform) -> None:
    env = service_env(platform, "chat", "chat-ws")
    assert env["DATABASE_URL"] == "postgresql://chat@127.0.0.1:55432/strata"
    assert env["DJANGO_SECRET_KEY"] == "key-chat"
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(platform.state.prometheus / "chat-ws")
    assert {key: env[key] for key in ("STRATA_ENV", "REDIS_URL", "EMAIL_URL")} == {
        "STRATA_ENV": "development",
        "REDIS_URL": "redis://127.0.0.1:56379/0",
        "EMAIL_URL": "smtp://127.0.0.1:51025",
    }
    assert env["AUTH_GRPC_TARGET"] == "127.0.0.1:50051"
    assert env["USERS_GRPC_TARGET"] == "127.0.0.1:50052"
    assert env["INTERNAL_GRPC_TOKEN"] == "token"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert (env["STRATA_RELAXED_THROTTLES"], env["PATH"]) == ("1", "/usr/bin")


def test_the_table_has_every_process_once_on_the_documented_ports(platform: Platform) -> None:
    specs = service_processes(platform)
    by_name = {spec.name: spec for spec in specs}
    assert len(by_name) == len(specs)
    assert {name: spec.port for name, spec in by_name.items()} == {
        "auth-http": 8001,
        "auth-grpc": 50051,
        "auth-celery": 9161,
        "users-http": 8002,
        "users-grpc": 50052,
        "users-celery": 9162,
        "chat-http": 8003,
        "chat-ws": 8005,
        "chat-celery": 9163,
        "worker-http": 8004,
        "worker-celery": 9164,
        "worker-beat": None,
    }
    for spec in specs:
        service = spec.name.split("-")[0]
        assert spec.cwd == platform.repo / "services" / service
        assert spec.env["DATABASE_URL"].startswith(f"postgresql://{service}@")
        assert spec.scratch_dir == platform.state.prometheus / spec.name


def test_commands_are_the_documented_ones(platform: Platform) -> None:
    by_name = {spec.name: spec for spec in service_processes(platform)}
    bin_dir = str(Path(sys.executable).parent)
    assert by_name["users-http"].argv == (
        f"{bin_dir}/granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", "8002",
        "--workers", "1", "--blocking-threads", "4", "users_service.wsgi:application",
    )  # fmt: skip
    assert by_name["users-http"].ready == "http://127.0.0.1:8002/readyz"
    ws = by_name["chat-ws"].argv
    assert ws[:2] == (f"{bin_dir}/uvicorn", "chat_service.asgi:application")
    assert "--no-access-log" in ws
    assert by_name["auth-grpc"].argv[1:] == (
        "manage.py", "grpcserver", "--port", "50051", "--metrics-port", "9151",
    )  # fmt: skip
    assert by_name["auth-grpc"].ready == "grpc"
    celery = by_name["chat-celery"]
    assert celery.argv[1:] == (
        "-A", "chat_service", "worker", "--queues", "chat", "--concurrency", "2",
        "--hostname", "chat@%h", "--without-mingle", "--without-gossip", "--loglevel", "INFO",
    )  # fmt: skip
    assert celery.env["CELERY_METRICS_PORT"] == "9163"
    beat = by_name["worker-beat"].argv
    assert beat[1:5] == ("-A", "worker_service", "beat", "--schedule")
    assert beat[5] == str(platform.state.run / "celerybeat-schedule")
    migrations = migration_processes(platform)
    assert [spec.argv[1:] for spec in migrations] == [("manage.py", "migrate", "--noinput")] * 4
    assert all(spec.ready == "exit" for spec in migrations)


def test_secrets_are_private_and_kept(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    state.prepare()
    token = state.secret("internal-grpc-token")
    assert len(token) >= 32
    assert stat.S_IMODE((state.run / "internal-grpc-token").stat().st_mode) == 0o600
    assert state.secret("internal-grpc-token") == token
    assert state.secret("django-secret-key-auth") != token
