"""Access-token verification and role permissions, as every service applies them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rest_framework.test import APIClient

from chassis.auth.revocation import revoke_tokens_before
from chassis.testing.tokens import (
    TEST_KID,
    jwks_for_tests,
    mint_access_token,
    signing_key_for_tests,
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def call(token: str | None, path: str = "/whoami"):
    client = APIClient()
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(path)


def claims(**overrides) -> dict:
    now = int(time.time())
    return {
        "iss": "strata-auth",
        "aud": "strata",
        "sub": str(uuid.uuid4()),
        "role": "user",
        "iat": now,
        "exp": now + 900,
        "jti": uuid.uuid4().hex,
        **overrides,
    }


def hs256_with_public_key() -> str:
    public_pem = (
        signing_key_for_tests()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = ".".join(
        [
            b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": TEST_KID}).encode()),
            b64(json.dumps(claims()).encode()),
        ]
    )
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def alg_none() -> str:
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": TEST_KID}).encode())
    return f"{header}.{b64(json.dumps(claims(role='admin')).encode())}."


def tampered() -> str:
    header, _, signature = mint_access_token(user_id=uuid.uuid4()).split(".")
    return f"{header}.{b64(json.dumps(claims(role='admin')).encode())}.{signature}"


def foreign_key() -> str:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims(), stranger, algorithm="RS256", headers={"kid": TEST_KID})


FORGERIES = {
    "alg none": (alg_none, "invalid_token"),
    "HS256 signed with the public key": (hs256_with_public_key, "invalid_token"),
    "tampered payload": (tampered, "invalid_token"),
    "wrong issuer": (lambda: mint_access_token(user_id=uuid.uuid4(), iss="evil"), "invalid_token"),
    "wrong audience": (
        lambda: mint_access_token(user_id=uuid.uuid4(), aud="other"),
        "invalid_token",
    ),
    "expired": (lambda: mint_access_token(user_id=uuid.uuid4(), expires_in=-60), "token_expired"),
    "unknown kid": (
        lambda: mint_access_token(user_id=uuid.uuid4(), headers={"kid": "nope"}),
        "invalid_token",
    ),
    "foreign key": (foreign_key, "invalid_token"),
    "unknown role": (lambda: mint_access_token(user_id=uuid.uuid4(), role="root"), "invalid_token"),
    "not a jwt": (lambda: "garbage", "invalid_token"),
}


def test_a_valid_token_authenticates():
    user_id = uuid.uuid4()
    response = call(mint_access_token(user_id=user_id, role="moderator"))
    assert response.status_code == 200
    assert response.json() == {"id": str(user_id), "role": "moderator"}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_tokens_are_rejected(forgery):
    make, code = FORGERIES[forgery]
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
