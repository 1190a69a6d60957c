"""ServiceMonitor and PrometheusRule: every metrics port scraped, rules on real metric names."""

from __future__ import annotations

import re

from chassis.celery import CELERY_TASK_RUNTIME, CELERY_TASKS
from chassis.grpc.metrics import GRPC_SERVER_HANDLED, GRPC_SERVER_HANDLING_SECONDS
from chassis.observability import metrics as http_metrics
from tests.conftest import ALL_ON, by_kind, named, pod_templates, render

CHASSIS_METRICS = {
    m._name  # prometheus-client keeps a counter's name without "_total"
    for m in (
        http_metrics.HTTP_REQUESTS,
        http_metrics.HTTP_LATENCY,
        http_metrics.EVENTS_FAILED,
        GRPC_SERVER_HANDLED,
        GRPC_SERVER_HANDLING_SECONDS,
        CELERY_TASKS,
        CELERY_TASK_RUNTIME,
    )
}
SUFFIXES = ("_total", "_bucket", "_count", "_sum", "")
PROMQL_WORDS = {"sum", "by", "rate", "increase", "histogram_quantile", "le"}


def test_service_monitor_scrapes_every_metrics_port():
    objects = render(ALL_ON)
    monitor = named(objects, "ServiceMonitor", "strata")
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    selector = monitor["spec"]["selector"]["matchLabels"]
    scraped_ports = {e["port"] for e in monitor["spec"]["endpoints"]}
    assert all(e["path"] == "/metrics" for e in monitor["spec"]["endpoints"])
    covered = set()
    for service in by_kind(objects, "Service"):
        if selector.items() <= service["metadata"]["labels"].items():
            for port in service["spec"]["ports"]:
                if port["name"] in scraped_ports:
                    covered.add((service["metadata"]["name"], port["port"]))
    # Every Strata container port that serves /metrics is behind a scraped Service port.
    metrics_port_name = {
        "http": "http",
        "websocket": "websocket",
        "grpc": "metrics",
        "worker": "metrics",
    }
    checked = 0
    for owner, template in pod_templates(objects):
        role = template["metadata"]["labels"].get("strata.io/role")
        if role not in metrics_port_name:
            continue
        ports = template["spec"]["containers"][0]["ports"]
        port = next(p["containerPort"] for p in ports if p["name"] == metrics_port_name[role])
        name = owner["metadata"]["name"]
        assert any(s.startswith(name) and p == port for s, p in covered), name
        checked += 1
    assert checked == 11  # 4 http, 1 websocket, 2 grpc, 4 Celery workers


def rule_exprs():
    rule = named(render(ALL_ON), "PrometheusRule", "strata")
    return {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}


def test_rules_alert_on_errors_latency_and_dead_letters():
    alerts = rule_exprs()
    assert {
        "StrataHttpErrorRateHigh",
        "StrataHttpLatencyHigh",
        "StrataGrpcErrorRateHigh",
        "StrataGrpcLatencyHigh",
        "StrataEventsDeadLettered",
    } <= set(alerts)
    assert 'dead_lettered="true"' in alerts["StrataEventsDeadLettered"]["expr"]
    assert 'namespace="strata-test"' in alerts["StrataHttpErrorRateHigh"]["expr"]


def test_rules_use_metrics_the_services_export():
    for name, alert in rule_exprs().items():
        series = set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*\{", alert["expr"])) - PROMQL_WORDS
        assert series, name
        for metric in series:
            assert (
                any(
                    metric.removesuffix(suffix) in CHASSIS_METRICS
                    for suffix in SUFFIXES
                    if metric.endswith(suffix)
                )
                or metric == "up"
            ), (name, metric)


def test_rule_thresholds_are_values():
    values = {**ALL_ON, "serviceMonitor": {"enabled": True, "rules": {"errorRateThreshold": 0.2}}}
    rule = named(render(values), "PrometheusRule", "strata")
    exprs = " ".join(r["expr"] for g in rule["spec"]["groups"] for r in g["rules"])
    assert "> 0.2" in exprs


def test_monitoring_is_off_by_default():
    objects = render()
    assert not by_kind(objects, "ServiceMonitor")
    assert not by_kind(objects, "PrometheusRule")
