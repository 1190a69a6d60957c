"""Refresh-token rotation, reuse detection, the concurrent-refresh race, and logout."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from auth_service.accounts.models import RefreshSession
from auth_service.accounts.opaque_tokens import digest_of
from tests.factories import login

pytestmark = pytest.mark.django_db

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"


def refresh(client, token, **extra):
    return client.post(REFRESH, {"refresh_token": token}, format="json", **extra)


def session_of(token):
    return RefreshSession.objects.get(token_hash=digest_of(token))


@pytest.fixture
def signed_in(api_client, account):
    member = account()
    tokens = login(api_client, member).json()
    return member, tokens


def test_refresh_returns_new_tokens_and_spends_the_old_one(api_client, signed_in):
    _, tokens = signed_in
    response = refresh(api_client, tokens["refresh_token"])
    assert response.status_code == 200, response.content
    fresh = response.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert fresh["access_token"] != tokens["access_token"]
    assert (fresh["token_type"], fresh["expires_in"]) == ("Bearer", 900)
    old, new = session_of(tokens["refresh_token"]), session_of(fresh["refresh_token"])
    assert old.rotated_at is not None
    assert (new.parent_id, new.family_id) == (old.id, old.family_id)
    assert new.expires_at - new.created_at == pytest.approx(
        timedelta(days=7), abs=timedelta(seconds=5)
    )


def test_the_refreshed_token_carries_the_current_role(api_client, signed_in, users):
    import jwt

    member, tokens = signed_in
    users.set_role(member.id, "moderator")
    fresh = refresh(api_client, tokens["refresh_token"]).json()
    assert (
        jwt.decode(fresh["access_token"], options={"verify_signature": False})["role"]
        == "moderator"
    )


def test_reuse_of_a_rotated_token_revokes_the_whole_family(api_client, signed_in):
    _, tokens = signed_in
    second = refresh(api_client, tokens["refresh_token"]).json()["refresh_token"]
    third = refresh(api_client, second).json()["refresh_token"]

    reused = refresh(api_client, tokens["refresh_token"])
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_reused"
    family = RefreshSession.objects.filter(family_id=session_of(third).family_id)
    assert family.count() == 3
    assert not family.filter(revoked_at__isnull=True).exists()
    # The newest token, never used, is dead too.
    response = refresh(api_client, third)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_reuse_leaves_the_users_other_sessions_alone(api_client, signed_in):
    member, tokens = signed_in
    other = login(api_client, member).json()["refresh_token"]
    refresh(api_client, tokens["refresh_token"])
    assert refresh(api_client, tokens["refresh_token"]).json()["code"] == "token_reused"
    assert refresh(api_client, other).status_code == 200


@pytest.mark.parametrize("token", ["", "x" * 257, "unknown-token", None])
def test_bad_refresh_tokens(api_client, token):
    response = api_client.post(REFRESH, {"refresh_token": token}, format="json")
    if token in ("", "x" * 257, None):
        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
    else:
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"


def test_an_expired_refresh_token_is_invalid(api_client, signed_in):
    _, tokens = signed_in
    RefreshSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = refresh(api_client, tokens["refresh_token"])
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_a_deactivated_user_cannot_refresh(api_client, signed_in, users):
    member, tokens = signed_in
    users.set_active(member.id, False)
    response = refresh(api_client, tokens["refresh_token"])
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert session_of(tokens["refresh_token"]).revoked_at is not None
    users.set_active(member.id, True)  # reactivated: the old session stays ended
    assert refresh(api_client, tokens["refresh_token"]).status_code == 401


def test_refresh_with_users_down_is_503_and_spends_nothing(api_client, signed_in, users_down):
    _, tokens = signed_in
    users_down()
    response = refresh(api_client, tokens["refresh_token"])
    assert response.status_code == 503
    assert response.json()["code"] == "dependency_unavailable"
    assert session_of(tokens["refresh_token"]).rotated_at is None


def test_refresh_is_throttled_per_client_ip(api_client, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "auth.refresh": "2/min"},
    }
    for _ in range(2):
        assert refresh(api_client, "nope", HTTP_X_REAL_IP="192.0.2.8").status_code == 401
    response = refresh(api_client, "nope", HTTP_X_REAL_IP="192.0.2.8")
    assert (response.status_code, response.json()["code"]) == (429, "throttled")
    assert response["Retry-After"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_of_one_token_exactly_one_wins(account):
    member = account()
    token = login(APIClient(), member).json()["refresh_token"]
    start = threading.Barrier(2)
    results: list[tuple[int, str]] = []

    def attempt():
        try:
            start.wait()
            response = refresh(APIClient(), token)
            results.append((response.status_code, response.json().get("code", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [(200, ""), (401, "token_reused")]
    # Exactly one rotation happened: the family has the original and one child.
    assert RefreshSession.objects.filter(family_id=session_of(token).family_id).count() == 2


# Logout ---------------------------------------------------------------------------


def test_logout_ends_the_session_family(api_client, signed_in):
    _, tokens = signed_in
    newer = refresh(api_client, tokens["refresh_token"]).json()["refresh_token"]
    response = api_client.post(LOGOUT, {"refresh_token": tokens["refresh_token"]}, format="json")
    assert response.status_code == 204
    assert response.content == b""
    assert refresh(api_client, newer).json()["code"] == "invalid_token"


def test_logout_is_idempotent(api_client, signed_in):
    _, tokens = signed_in
    for _ in range(3):
        response = api_client.post(
            LOGOUT, {"refresh_token": tokens["refresh_token"]}, format="json"
        )
        assert response.status_code == 204
    assert (
        api_client.post(LOGOUT, {"refresh_token": "never-issued"}, format="json").status_code == 204
    )


def test_logout_keeps_the_users_other_sessions(api_client, signed_in):
    member, tokens = signed_in
    other = login(api_client, member).json()["refresh_token"]
    api_client.post(LOGOUT, {"refresh_token": tokens["refresh_token"]}, format="json")
    assert refresh(api_client, other).status_code == 200


def test_logout_requires_a_refresh_token_field(api_client):
    response = api_client.post(LOGOUT, {}, format="json")
    assert response.status_code == 400
    assert "refresh_token" in response.json()["errors"]
