"""helm lint, and a values schema that rejects wrong types and unknown keys."""

from __future__ import annotations

import pytest

from tests.conftest import ALL_ON, CHART, EVALUATION, helm, notes, render
from tests.test_chart_kubernetes_schemas import KUBERNETES_VERSIONS


@pytest.mark.parametrize(
    "values", [{}, ALL_ON, EVALUATION], ids=["defaults", "all-on", "evaluation"]
)
def test_helm_lint_is_clean(values):
    report = helm().lint(
        str(CHART), values, strict=True, kube_version=f"v{KUBERNETES_VERSIONS[0]}.0"
    )
    problems = [m for m in report["messages"] if m["severity"] >= 2] + [
        {"error": e} for e in report["errors"]
    ]
    assert not problems, problems


@pytest.mark.parametrize(
    "expression",
    [
        "roles.http.replicas=two",  # wrong type
        "roles.http.replicass=3",  # a typo'd key
        "ingres.enabled=true",  # a typo at the top
        "services.chat.grpc.replicas=2",  # a role chat does not have
        "roles.beat.replicas=2",  # never two beats
        "secrets.redisUrl.vaule=x",  # a typo deep down
        "networkPolicy.postgres.port=99999",
        "config.logLevel=LOUD",
        "image.pullPolicy=Sometimes",
    ],
)
def test_a_wrong_set_fails_instead_of_being_ignored(expression):
    values = helm().parse_set_string(expression)
    with helm().Chart.load(str(CHART)) as chart, pytest.raises(helm().HelmValuesError):
        chart.validate_schema(values)
    with pytest.raises(helm().HelmError):
        render(values)


@pytest.mark.parametrize(
    "expression",
    [
        "services.chat.websocket.replicas=4",
        "roles.worker.concurrency=8",
        "config.extraEnv.AUTH_LOGIN_RATE_PER_IP=5/min",
        "secrets.redisUrl.existingSecret=redis",
        "ingress.enabled=true,ingress.hosts={api.example.com}",
    ],
)
def test_a_right_set_is_accepted(expression):
    with helm().Chart.load(str(CHART)) as chart:
        chart.validate_schema(helm().parse_set_string(expression))


def test_notes_tell_where_secrets_come_from():
    text = notes()
    assert "strata-secrets" in text
    assert "EVALUATION MODE" in notes(EVALUATION)
    assert "WARNING" in notes({"ingress": {"enabled": True}})
