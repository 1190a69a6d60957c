"""Every rendered object against the Kubernetes API schemas, offline (kubernetes-validate).

Strict schemas: an unknown or misplaced field fails, as the API server would reject it.
Checked against the oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the
newest the wheel knows. The Prometheus Operator and Gateway API kinds are custom resources
with no schema there; their structure is checked in test_chart_monitoring.py and
test_chart_routes.py.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
import yaml
from kubernetes_validate import utils as kubernetes_validate

from tests.conftest import CHART, render

CUSTOM_RESOURCES = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
}

# Each call would otherwise parse the 2 MB definitions file again.
kubernetes_validate.schema_contents = functools.cache(kubernetes_validate.schema_contents)


def _oldest_supported() -> str:
    constraint = yaml.safe_load((CHART / "Chart.yaml").read_text())["kubeVersion"]
    return constraint.removeprefix(">=").split("-")[0]


KUBERNETES_VERSIONS = (_oldest_supported(), kubernetes_validate.latest_version())


def test_the_oldest_supported_version_is_known_to_the_validator():
    assert _oldest_supported() in kubernetes_validate.all_versions()


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid_for_kubernetes(scenario, version):
    _, values = scenario
    problems = []
    for obj in render(values):
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_RESOURCES:
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(part) for part in error.path)
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {where}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {error.message}")
    assert not problems, "\n".join(problems)


def test_the_validator_rejects_a_broken_object():
    """Guard against a validator that passes everything."""
    deployment: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "broken"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {
                    "containers": [
                        {"name": "x", "image": "x", "readinessProbe": {"grpc": {"port": "grpc"}}}
                    ]
                },
            },
        },
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)
