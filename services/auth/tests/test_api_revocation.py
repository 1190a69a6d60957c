"""logout-all and password change: Bearer endpoints that end every session of a user.

These run against auth's own JWKS on a live server (``auth_jwks``): the access tokens
are the ones login issued, verified the way every other service verifies them.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from rest_framework.test import APIClient

from auth_service.accounts.models import Credential, RefreshSession
from auth_service.keys.material import load_private_pem
from auth_service.keys.services import signing_key_current
from chassis.auth.revocation import forget_cached_markers, revoked_before
from chassis.auth.tokens import TokenError, verify_access_token
from chassis.events.models import OutboxEvent
from chassis.testing.forged_tokens import FORGERY_NAMES, Signer, forgeries
from tests.factories import login

LOGOUT_ALL = "/api/v1/auth/logout-all"
CHANGE = "/api/v1/auth/password/change"
NEW_PASSWORD = "a brand new passphrase"


def bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def revoked_within_two_seconds(token):
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            verify_access_token(token)
        except TokenError as error:
            return error.code == "token_revoked"
        time.sleep(0.05)
    return False


@pytest.fixture
def signed_in(auth_jwks, account):
    member = account()
    tokens = login(APIClient(), member).json()
    return member, tokens


def test_logout_all_revokes_every_session_and_access_token(signed_in):
    member, tokens = signed_in
    other = login(APIClient(), member).json()
    assert verify_access_token(tokens["access_token"]).user_id == member.id

    response = bearer(tokens["access_token"]).post(LOGOUT_ALL)
    assert response.status_code == 204
    assert not RefreshSession.objects.filter(revoked_at__isnull=True).exists()
    for pair in (tokens, other):
        assert revoked_within_two_seconds(pair["access_token"])
        refreshed = APIClient().post(
            "/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}, format="json"
        )
        assert refreshed.json()["code"] == "invalid_token"
    # Signing in again afterwards works, and the new token is not caught by the marker.
    fresh = login(APIClient(), member).json()["access_token"]
    forget_cached_markers()
    assert verify_access_token(fresh).user_id == member.id


def test_logout_all_publishes_sessions_revoked(signed_in):
    member, tokens = signed_in
    before = time.time()
    bearer(tokens["access_token"]).post(LOGOUT_ALL)
    event = OutboxEvent.objects.get(event_type="auth.sessions_revoked")
    assert event.payload["user_id"] == str(member.id)
    assert event.payload["reason"] == "logout_all"
    marker = revoked_before(str(member.id))
    assert marker is not None
    assert before <= marker <= time.time()
    assert datetime.fromisoformat(event.payload["revoked_before"]).timestamp() == pytest.approx(
        marker, abs=1e-6
    )


def test_a_revoked_token_cannot_call_logout_all_again(signed_in):
    _, tokens = signed_in
    client = bearer(tokens["access_token"])
    assert client.post(LOGOUT_ALL).status_code == 204
    time.sleep(1.05)  # past the verifier's one-second marker cache
    response = client.post(LOGOUT_ALL)
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
    assert response["WWW-Authenticate"] == "Bearer"


def test_password_change_sets_the_password_and_revokes_everything(signed_in):
    member, tokens = signed_in
    response = bearer(tokens["access_token"]).post(
        CHANGE,
        {"current_password": member.password, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 204, response.content
    assert revoked_within_two_seconds(tokens["access_token"])
    assert not RefreshSession.objects.filter(revoked_at__isnull=True).exists()
    assert login(APIClient(), member).json()["code"] == "invalid_credentials"
    assert login(APIClient(), member, password=NEW_PASSWORD).status_code == 200
    events = {e.event_type: e.payload for e in OutboxEvent.objects.all()}
    assert events["auth.password_changed"] == {
        "user_id": str(member.id),
        "email": member.email,
        "name": member.credential.name,
    }
    assert events["auth.sessions_revoked"]["reason"] == "password_changed"


def test_a_wrong_current_password_is_invalid_password(signed_in):
    _member, tokens = signed_in
    response = bearer(tokens["access_token"]).post(
        CHANGE, {"current_password": "not it at all", "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_password"
    assert RefreshSession.objects.filter(revoked_at__isnull=True).exists()


@pytest.mark.parametrize("new_password", ["short", "password123", "1234567890123"])
def test_a_weak_new_password_is_a_validation_error(signed_in, new_password):
    member, tokens = signed_in
    stored = member.credential.password_hash
    response = bearer(tokens["access_token"]).post(
        CHANGE, {"current_password": member.password, "new_password": new_password}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "new_password" in response.json()["errors"]
    assert Credential.objects.get(pk=member.id).password_hash == stored


@pytest.mark.parametrize(("method", "path"), [("post", LOGOUT_ALL), ("post", CHANGE)])
def test_bearer_endpoints_need_a_token(db, method, path):
    response = getattr(APIClient(), method)(path, {}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.fixture
def auth_signer(auth_jwks):
    """Auth's own active key: the forgeries imitate it."""
    key = signing_key_current()
    return Signer(
        private_key=load_private_pem(key.private_key), algorithm=key.algorithm, kid=key.kid
    )


@pytest.mark.parametrize("path", [LOGOUT_ALL, CHANGE])
@pytest.mark.parametrize("forgery", FORGERY_NAMES)
def test_forged_tokens_are_refused_by_auths_bearer_endpoints(auth_signer, path, forgery):
    make, code = forgeries(auth_signer)[forgery]
    response = bearer(make()).post(path, {}, format="json")
    assert response.status_code == 401, forgery
    assert response.json()["code"] == code


def test_a_genuine_token_from_the_same_key_is_accepted(auth_signer):
    from chassis.testing.forged_tokens import valid_claims

    response = bearer(auth_signer.sign(valid_claims())).post(LOGOUT_ALL)
    assert response.status_code == 204
