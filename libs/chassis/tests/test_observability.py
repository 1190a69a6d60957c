"""Request ids, JSON logs, HTTP metrics and the health endpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from chassis.embedded import EmbeddedRedis
from chassis.observability import health
from chassis.observability.metrics import route_label

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def test_generates_a_request_id_when_none_is_sent(client):
    response = client.get("/echo")
    assert len(response["X-Request-ID"]) == 32
    assert response.json()["request_id"] == response["X-Request-ID"]


def test_echoes_a_sane_client_request_id(client):
    response = client.get("/echo", HTTP_X_REQUEST_ID="client-id-42")
    assert response["X-Request-ID"] == "client-id-42"
    assert response.json()["request_id"] == "client-id-42"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "new\nline", "<script>"])
def test_replaces_an_insane_client_request_id(client, bad):
    response = client.get("/echo", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert len(response["X-Request-ID"]) == 32


def test_log_lines_are_json_with_service_and_request_id(client, json_logs):
    client.get("/raise/unexpected", HTTP_X_REQUEST_ID="trace-me-1")
    line = next(item for item in json_logs() if item["event"] == "unhandled_exception")
    assert line["request_id"] == "trace-me-1"
    assert line["service"] == "chassis_tests"
    assert line["level"] == "error"
    assert "timestamp" in line


def test_logs_never_carry_secret_fields(json_logs):
    import structlog

    structlog.get_logger("t").info("login", password="hunter2", extra={"refresh_token": "abc"})
    (line,) = json_logs()
    assert line["password"] == "[redacted]"
    assert line["extra"] == {"refresh_token": "[redacted]"}
    assert "hunter2" not in json.dumps(line)


def test_metrics_count_by_route_template_method_and_status(client):
    client.get("/raise/conflict")
    client.get("/raise/conflict")
    text = client.get("/metrics").content.decode()
    line = next(
        item
        for item in text.splitlines()
        if item.startswith("http_requests_total{")
        and 'route="/raise/<str:kind>"' in item
        and 'status="409"' in item
    )
    assert line.endswith(" 2.0")
    assert (
        'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/raise/<str:kind>"}'
        in text
    )


def test_route_label_strips_optional_slash_regex():
    assert route_label("^api/v1/users/me/?$") == "/api/v1/users/me"
    assert route_label(r"^api/v1/users/(?P<user_id>[0-9a-fA-F-]{36})/role/?$") == (
        "/api/v1/users/<user_id>/role"
    )
    assert route_label(None) == "<unmatched>"


def test_healthz_and_readyz_answer_with_and_without_slash(client):
    for path in ("/healthz", "/healthz/", "/readyz", "/readyz/"):
        assert client.get(path).status_code == 200, path


def test_readyz_names_redis_while_it_is_down_and_recovers(client, settings, tmp_path: Path):
    redis = EmbeddedRedis(tmp_path / "redis")
    redis.start()
    settings.REDIS_URL = redis.url()
    health._redis_client.cache_clear()
    try:
        assert client.get("/readyz").status_code == 200
        redis.stop()
        response = client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["failing"] == ["redis"]
        assert "redis" in body["detail"]
        redis.start()
        assert client.get("/readyz").status_code == 200
    finally:
        redis.stop()
        health._redis_client.cache_clear()


def test_readyz_names_the_database_when_it_is_unreachable(client, settings):
    from django.db import connection

    real = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["failing"] == ["database"]
    finally:
        connection.settings_dict.update(real)
        connection.close()


def test_openapi_schema_and_swagger_ui_are_served(client):
    schema = client.get("/api/schema/chassis_tests/")
    assert schema.status_code == 200
    assert b"openapi: 3" in schema.content
    assert client.get("/api/docs/chassis_tests").status_code == 200
