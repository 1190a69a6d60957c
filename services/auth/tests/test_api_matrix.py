"""Who may call what: every auth endpoint by every kind of caller, as one table.

Roles grant nothing extra in auth: an endpoint is public or needs a valid access token.
Callers with a role carry a token for an account that exists here.
"""

from __future__ import annotations

import itertools

import pytest
from rest_framework.test import APIClient

from chassis.testing.tokens import mint_access_token

pytestmark = pytest.mark.django_db

ANON, USER, MOD, ADMIN = "anonymous", "user", "moderator", "admin"
_emails = itertools.count(1)

# (method, path, body, {caller: status}); "{password}" is the caller's own password.
MATRIX = [
    ("post", "register", "new-account", {ANON: 201, USER: 201, MOD: 201, ADMIN: 201}),
    ("post", "login", "own-credentials", {ANON: 200, USER: 200, MOD: 200, ADMIN: 200}),
    ("post", "refresh", {"refresh_token": "unknown"}, {ANON: 401, USER: 401, MOD: 401, ADMIN: 401}),
    ("post", "logout", {"refresh_token": "unknown"}, {ANON: 204, USER: 204, MOD: 204, ADMIN: 204}),
    ("post", "logout-all", None, {ANON: 401, USER: 204, MOD: 204, ADMIN: 204}),
    (
        "post",
        "password/change",
        {"current_password": "not it at all", "new_password": "fresh passphrase 1"},
        {ANON: 401, USER: 400, MOD: 400, ADMIN: 400},
    ),
    (
        "post",
        "password/reset",
        {"email": "someone@example.com"},
        {ANON: 202, USER: 202, MOD: 202, ADMIN: 202},
    ),
    (
        "post",
        "password/reset/confirm",
        {"token": "unknown", "new_password": "fresh passphrase 1"},
        {ANON: 400, USER: 400, MOD: 400, ADMIN: 400},
    ),
    ("get", "/.well-known/jwks.json", None, {ANON: 200, USER: 200, MOD: 200, ADMIN: 200}),
    (
        "get",
        "/.well-known/openid-configuration",
        None,
        {ANON: 200, USER: 200, MOD: 200, ADMIN: 200},
    ),
]
CODES = {
    ("refresh", 401): "invalid_token",
    ("logout-all", 401): "not_authenticated",
    ("password/change", 401): "not_authenticated",
    ("password/change", 400): "invalid_password",
    ("password/reset/confirm", 400): "invalid_token",
}


@pytest.mark.parametrize(
    ("method", "path", "body", "caller", "expected"),
    [
        (method, path, body, caller, expected)
        for method, path, body, by_caller in MATRIX
        for caller, expected in by_caller.items()
    ],
)
def test_permission_matrix(account, method, path, body, caller, expected):
    member = account(role=USER if caller == ANON else caller)
    client = APIClient()
    if caller != ANON:
        token = mint_access_token(user_id=member.id, role=caller)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    if body == "new-account":
        body = {
            "email": f"new{next(_emails)}@example.com",
            "password": "fresh passphrase 1",
            "name": "N",
        }
    elif body == "own-credentials":
        body = {"email": member.email, "password": member.password}
    url = path if path.startswith("/") else f"/api/v1/auth/{path}"
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code == expected, response.content
    code = CODES.get((path, expected))
    if code:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == code
