"""Auth's domain metrics and its OpenAPI document."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import login

pytestmark = pytest.mark.django_db


def metric(name: str, labels: str = "") -> float:
    text = Client().get("/metrics").content.decode()
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_logins_tokens_and_reuse_are_counted(account):
    member = account()
    client = APIClient()
    before = {
        "success": metric("strata_auth_logins_total", '{outcome="success"}'),
        "failure": metric("strata_auth_logins_total", '{outcome="invalid_credentials"}'),
        "login": metric("strata_auth_tokens_issued_total", '{grant="login"}'),
        "refresh": metric("strata_auth_tokens_issued_total", '{grant="refresh"}'),
        "reuse": metric("strata_auth_refresh_reuse_detected_total"),
    }
    tokens = login(client, member).json()
    login(client, member, password="certainly wrong")
    client.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    client.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert metric("strata_auth_logins_total", '{outcome="success"}') == before["success"] + 1
    assert (
        metric("strata_auth_logins_total", '{outcome="invalid_credentials"}')
        == before["failure"] + 1
    )
    assert metric("strata_auth_tokens_issued_total", '{grant="login"}') == before["login"] + 1
    assert metric("strata_auth_tokens_issued_total", '{grant="refresh"}') == before["refresh"] + 1
    assert metric("strata_auth_refresh_reuse_detected_total") == before["reuse"] + 1


def test_every_endpoint_is_in_the_openapi_document():
    schema = Client().get("/api/schema/auth/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for name in (
        "register", "login", "refresh", "logout", "logout-all",
        "password/change", "password/reset", "password/reset/confirm",
    ):  # fmt: skip
        operations = [
            op for path, op in paths.items() if path.rstrip("/").endswith(f"/auth/{name}")
        ]
        assert operations, name
        post = operations[0]["post"]
        assert post["summary"]
        assert len(post["responses"]) >= 2, name
    assert any("jwks.json" in path for path in paths)
    assert any("openid-configuration" in path for path in paths)
    login_responses = next(
        op for path, op in paths.items() if path.rstrip("/").endswith("/auth/login")
    )["post"]["responses"]
    assert {"200", "401", "429"} <= set(login_responses)
