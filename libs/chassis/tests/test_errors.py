"""Every kind of error leaves as an RFC 9457 problem document with a stable code."""

from __future__ import annotations

import json

import pytest
from django.test import Client

PROBLEM = "application/problem+json"


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def problem(response) -> dict:
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["status"] == response.status_code
    assert body["type"] == f"urn:strata:problem:{body['code']}"
    assert body["request_id"] == response["X-Request-ID"]
    assert body["title"]
    assert body["detail"]
    return body


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("conflict", 409, "slug_taken"),
        ("dependency", 503, "dependency_unavailable"),
        ("drf-forbidden", 403, "forbidden"),
        ("drf-auth-failed", 401, "token_expired"),
        ("django-forbidden", 403, "forbidden"),
        ("django-404", 404, "not_found"),
        ("model-validation", 400, "validation_error"),
    ],
)
def test_raised_errors_map_to_problems(client, kind, status, code):
    response = client.get(f"/raise/{kind}")
    assert response.status_code == status
    assert problem(response)["code"] == code


def test_unauthenticated_answers_401_with_bearer_challenge(client):
    response = client.get("/protected")
    assert response.status_code == 401
    assert problem(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_model_validation_lists_field_errors(client):
    body = problem(client.get("/raise/model-validation"))
    assert body["errors"] == {"slug": ["Enter a valid slug."]}


def test_serializer_validation_lists_every_field(client):
    response = client.post(
        "/echo",
        data={"name": "x" * 21, "age": "old", "tags": ["ok", "toolong"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = problem(response)
    assert body["code"] == "validation_error"
    assert set(body["errors"]) == {"name", "age", "tags.1"}
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)


def test_missing_field_is_a_validation_error(client):
    body = problem(client.post("/echo", data={}, content_type="application/json"))
    assert set(body["errors"]) == {"name", "age"}


def test_malformed_json_is_a_parse_error(client):
    response = client.post("/echo", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert problem(response)["code"] == "parse_error"


def test_wrong_content_type_is_415(client):
    response = client.post("/echo", data="name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert problem(response)["code"] == "unsupported_media_type"


def test_method_not_allowed_is_405(client):
    response = client.delete("/echo")
    assert response.status_code == 405
    assert problem(response)["code"] == "method_not_allowed"


def test_unknown_url_is_a_404_problem(client):
    response = client.get("/no/such/path")
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"


def test_body_over_one_mebibyte_is_413(client):
    body = json.dumps({"name": "x", "age": 1, "pad": "x" * (1024 * 1024)})
    response = client.post("/echo", data=body, content_type="application/json")
    assert response.status_code == 413
    assert problem(response)["code"] == "payload_too_large"


def test_body_just_under_the_limit_is_parsed(client):
    body = json.dumps({"name": "x", "age": 1, "pad": "x" * (1024 * 1000)})
    response = client.post("/echo", data=body, content_type="application/json")
    assert response.status_code == 200


def test_drf_throttle_sets_retry_after(client):
    assert client.get("/throttled").status_code == 200
    response = client.get("/throttled")
    assert response.status_code == 429
    assert problem(response)["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_strata_throttle_sets_retry_after(client):
    response = client.get("/raise/strata-throttled")
    assert response.status_code == 429
    assert response["Retry-After"] == "7"


def test_unexpected_error_is_500_without_internals(client, json_logs):
    response = client.get("/raise/unexpected")
    assert response.status_code == 500
    body = problem(response)
    assert body["code"] == "internal_error"
    assert "hunter2" not in response.content.decode()
    assert "db.internal" not in response.content.decode()
    logged = next(line for line in json_logs() if line["event"] == "unhandled_exception")
    assert "RuntimeError" in logged["exception"]
