"""Shared fixtures of the deploy checks: the chart rendered offline, and the repository."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "strata"
RELEASE = "strata"
NAMESPACE = "strata-test"
SERVICES = ("auth", "users", "chat", "worker")

# Values that turn every switch on, as a platform team would for production.
ALL_ON: dict[str, Any] = {
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "hosts": ["api.example.com"],
        "tls": [{"secretName": "strata-tls", "hosts": ["api.example.com"]}],
    },
    "httpRoute": {
        "enabled": True,
        "parentRefs": [{"name": "public", "namespace": "gateways", "sectionName": "https"}],
        "hostnames": ["api.example.com"],
    },
    "autoscaling": {"enabled": True},
    "podDisruptionBudget": {"enabled": True},
    "networkPolicy": {
        "enabled": True,
        "postgres": {"to": [{"ipBlock": {"cidr": "10.20.0.0/24"}}]},
        "redis": {"to": [{"ipBlock": {"cidr": "10.20.1.0/24"}}]},
        "smtp": {"to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}]},
    },
    "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}},
    "databaseBootstrap": {"enabled": True, "adminSecret": "strata-postgres-admin"},
    "config": {"corsAllowedOrigins": ["https://app.example.com"]},
}

# Evaluation mode with every switch that goes with it.
EVALUATION: dict[str, Any] = {
    **{key: value for key, value in ALL_ON.items() if key != "databaseBootstrap"},
    "networkPolicy": {"enabled": True},
    "evaluation": {"enabled": True, "persistence": {"enabled": True}},
}

SCENARIOS: dict[str, dict[str, Any]] = {"defaults": {}, "all-on": ALL_ON, "evaluation": EVALUATION}


def helm() -> Any:
    """The helm-python-sdk module: Helm's Go SDK as a library, no binary, no network."""
    import helm_python

    return helm_python


@cache
def _render(values_json: str) -> tuple[tuple[str, str], ...]:
    values = json.loads(values_json)
    with helm().Chart.load(str(CHART)) as chart:
        rendered = chart.render(values=values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return tuple(sorted(rendered.items()))


def render_files(values: dict[str, Any] | None = None) -> dict[str, str]:
    """Template path -> rendered text, for ``values`` over the chart's defaults."""
    return dict(_render(json.dumps(values or {}, sort_keys=True)))


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every object the chart renders for ``values`` (NOTES.txt left out)."""
    objects = []
    for path, text in render_files(values).items():
        if path.endswith("NOTES.txt"):
            continue
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return objects


def notes(values: dict[str, Any] | None = None) -> str:
    return next(text for path, text in render_files(values).items() if path.endswith("NOTES.txt"))


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


POD_OWNERS = ("Deployment", "StatefulSet", "Job", "DaemonSet")


def pod_templates(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(owner, pod template) for everything that makes pods."""
    for obj in objects:
        if obj["kind"] in POD_OWNERS:
            yield obj, obj["spec"]["template"]


def hook_of(obj: dict[str, Any]) -> tuple[set[str], int] | None:
    """The Helm hook phases and weight of ``obj``, or None for a release object."""
    annotations = obj["metadata"].get("annotations") or {}
    if "helm.sh/hook" not in annotations:
        return None
    phases = {phase.strip() for phase in annotations["helm.sh/hook"].split(",")}
    return phases, int(annotations.get("helm.sh/hook-weight", "0"))


@pytest.fixture(params=list(SCENARIOS), scope="session")
def scenario(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    return request.param, SCENARIOS[request.param]


@pytest.fixture(scope="session")
def objects_of() -> Callable[[dict[str, Any] | None], list[dict[str, Any]]]:
    return render


def tool(name: str) -> str | None:
    """A command-line tool: from this virtualenv first (wheels ship some), then PATH."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    return shutil.which(name)


def require_tool(name: str, how: str) -> str:
    """The tool's path; without it the check is skipped locally and fails in CI."""
    found = tool(name)
    if found is None:
        message = f"{name} is not installed ({how})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found
