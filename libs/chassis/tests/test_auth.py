"""Access-token verification and role permissions, as every service applies them."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient

from chassis.auth import tokens
from chassis.auth.revocation import revoke_tokens_before
from chassis.testing.forged_tokens import FORGERY_NAMES, forgeries, test_signer
from chassis.testing.tokens import jwks_for_tests, mint_access_token


def call(token: str | None, path: str = "/whoami"):
    client = APIClient()
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(path)


def test_a_valid_token_authenticates():
    user_id = uuid.uuid4()
    response = call(mint_access_token(user_id=user_id, role="moderator"))
    assert response.status_code == 200
    assert response.json() == {"id": str(user_id), "role": "moderator"}


@pytest.mark.parametrize("forgery", FORGERY_NAMES)
def test_forged_tokens_are_rejected(forgery):
    make, code = forgeries(test_signer())[forgery]
    response = call(make())
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response["WWW-Authenticate"] == "Bearer"


def test_missing_token_is_not_authenticated():
    response = call(None)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer \u00e9t\u00e9"])
def test_malformed_authorization_header(header):
    client = APIClient()
    response = client.get("/whoami", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_revocation_rejects_older_tokens_and_admits_newer_ones():
    user_id = uuid.uuid4()
    old = mint_access_token(user_id=user_id, issued_at=int(time.time()) - 10)
    assert call(old).status_code == 200
    revoke_tokens_before(user_id=str(user_id), moment=time.time() - 1, ttl_seconds=900)
    time.sleep(1.05)  # the marker is cached for at most one second
    response = call(old)
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
    assert call(mint_access_token(user_id=user_id)).status_code == 200


def test_a_marker_never_moves_backwards():
    user_id = uuid.uuid4()
    now = time.time()
    revoke_tokens_before(user_id=str(user_id), moment=now, ttl_seconds=900)
    revoke_tokens_before(user_id=str(user_id), moment=now - 600, ttl_seconds=900)
    token = mint_access_token(user_id=user_id, issued_at=int(now) - 300)
    assert call(token).json()["code"] == "token_revoked"


@pytest.mark.django_db
def test_authentication_costs_no_database_query(django_assert_num_queries):
    token = mint_access_token(user_id=uuid.uuid4())
    with django_assert_num_queries(0):  # cold caches
        assert call(token).status_code == 200
    with django_assert_num_queries(0):  # warm caches
        assert call(token).status_code == 200


@pytest.fixture
def signature_checks(monkeypatch):
    """How many times a token's signature and claims were checked (cache misses)."""
    checked: list[str] = []
    verify_signed = tokens._verify_signed

    def counting(token: str):
        checked.append(token)
        return verify_signed(token)

    monkeypatch.setattr(tokens, "_verify_signed", counting)
    return checked


def test_a_verified_token_is_checked_once_then_served_from_the_cache(signature_checks):
    token = mint_access_token(user_id=uuid.uuid4())
    for _ in range(3):
        assert call(token).status_code == 200
    assert signature_checks == [token]


def test_cached_tokens_are_checked_again_after_the_cache_lifetime(monkeypatch, signature_checks):
    monkeypatch.setattr(tokens, "VERIFIED_CACHE_SECONDS", 0.2)
    token = mint_access_token(user_id=uuid.uuid4())
    assert call(token).status_code == 200
    time.sleep(0.3)
    assert call(token).status_code == 200
    assert signature_checks == [token, token]


def test_a_cached_token_still_expires(settings):
    settings.JWT_LEEWAY_SECONDS = 0
    issued_at = int(time.time())
    token = mint_access_token(user_id=uuid.uuid4(), issued_at=issued_at, expires_in=2)
    assert call(token).status_code == 200
    time.sleep(issued_at + 2 - time.time() + 0.05)
    response = call(token)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


def test_the_verified_tokens_are_bounded(monkeypatch):
    monkeypatch.setattr(tokens, "_MAX_VERIFIED", 3)
    for _ in range(7):
        assert call(mint_access_token(user_id=uuid.uuid4())).status_code == 200
        assert len(tokens._verified) <= 3


@pytest.fixture
def counting_jwks(settings):
    """A JWKS endpoint that counts its fetches, in place of the plugin's."""
    fetches: list[float] = []
    body = json.dumps(jwks_for_tests()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetches.append(time.monotonic())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.AUTH_JWKS_URL = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    settings.AUTH_JWKS_REFETCH_COOLDOWN_SECONDS = 2.0
    yield fetches
    server.shutdown()


def test_keys_are_fetched_once_and_cached(counting_jwks):
    for _ in range(5):
        assert call(mint_access_token(user_id=uuid.uuid4())).status_code == 200
    assert len(counting_jwks) == 1


def test_unknown_kids_refetch_at_most_once_per_cooldown(counting_jwks):
    assert call(mint_access_token(user_id=uuid.uuid4())).status_code == 200
    time.sleep(2.1)
    for _ in range(10):
        forged = mint_access_token(user_id=uuid.uuid4(), headers={"kid": f"k-{uuid.uuid4()}"})
        assert call(forged).status_code == 401
    assert len(counting_jwks) == 2


USER, MODERATOR, ADMIN = "user", "moderator", "admin"


@pytest.mark.parametrize(
    ("path", "role", "is_self", "expected"),
    [
        ("/admin-only", USER, False, 403),
        ("/admin-only", MODERATOR, False, 403),
        ("/admin-only", ADMIN, False, 200),
        ("/staff-only", USER, False, 403),
        ("/staff-only", MODERATOR, False, 200),
        ("/staff-only", ADMIN, False, 200),
        ("/self-or-admin", USER, True, 200),
        ("/self-or-admin", USER, False, 403),
        ("/self-or-admin", MODERATOR, False, 403),
        ("/self-or-admin", ADMIN, False, 200),
        ("/self-or-staff", USER, True, 200),
        ("/self-or-staff", USER, False, 403),
        ("/self-or-staff", MODERATOR, False, 200),
        ("/self-or-staff", ADMIN, False, 200),
    ],
)
def test_role_permissions(api_as, path, role, is_self, expected):
    client = api_as(role)
    if path.startswith("/self"):
        owner = client.user_id if is_self else uuid.uuid4()
        path = f"{path}/{owner}"
    response = client.get(path)
    assert response.status_code == expected
    if expected == 403:
        assert response.json()["code"] == "forbidden"
