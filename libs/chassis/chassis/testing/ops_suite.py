"""Checks every service must pass, shared as a base class for each service's tests::

class TestOps(OpsEndpointsSuite):
    service = "users"
"""

from __future__ import annotations

import io
from typing import ClassVar

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client


@pytest.mark.django_db
class OpsEndpointsSuite:
    service: ClassVar[str]
    serves_api: ClassVar[bool] = True

    @pytest.fixture
    def client(self) -> Client:
        return Client(raise_request_exception=False)

    @pytest.mark.parametrize("path", ["/healthz", "/healthz/", "/readyz", "/readyz/"])
    def test_health_endpoints_answer(self, client: Client, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200
        assert response["X-Request-ID"]

    def test_metrics_are_prometheus_text(self, client: Client) -> None:
        client.get("/healthz")
        response = client.get("/metrics")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in (
            response.content.decode()
        )

    def test_unknown_path_is_a_problem_404(self, client: Client) -> None:
        response = client.get("/no-such-thing")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"

    def test_openapi_schema_and_docs(self, client: Client) -> None:
        if not self.serves_api:
            assert client.get(f"/api/schema/{self.service}/").status_code == 404
            return
        schema = client.get(f"/api/schema/{self.service}/", HTTP_ACCEPT="application/json")
        assert schema.status_code == 200
        document = schema.json()
        assert document["openapi"].startswith("3.")
        assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
        assert client.get(f"/api/docs/{self.service}").status_code == 200

    def test_openapi_schema_generates_without_warnings(self) -> None:
        if not self.serves_api:
            pytest.skip("this service serves no API")
        # Every view's input and output is described: a warning means a guessed schema.
        call_command("spectacular", "--fail-on-warn", stdout=io.StringIO())

    def test_tables_live_in_the_service_schema(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_schema FROM information_schema.tables"
                " WHERE table_name = 'django_migrations'"
            )
            schemas = {row[0] for row in cursor.fetchall()}
        assert schemas == {self.service}
