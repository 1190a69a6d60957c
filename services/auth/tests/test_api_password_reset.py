"""Password reset: the request (202 always) and the confirmation with the emailed token."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from auth_service.accounts.models import PasswordResetToken, RefreshSession
from chassis.crypto.aead import DecryptionError
from chassis.crypto.event_secrets import PASSWORD_RESET_TOKEN_PURPOSE, open_event_secret
from chassis.events.models import OutboxEvent
from tests.factories import login

pytestmark = pytest.mark.django_db

RESET = "/api/v1/auth/password/reset"
CONFIRM = "/api/v1/auth/password/reset/confirm"
NEW_PASSWORD = "a brand new passphrase"


def request_reset(client, email, **extra):
    return client.post(RESET, {"email": email}, format="json", **extra)


def confirm(client, token, password=NEW_PASSWORD):
    return client.post(CONFIRM, {"token": token, "new_password": password}, format="json")


def emailed_token(member):
    """The token the worker would mail: opened from the (sealed) event payload."""
    event = OutboxEvent.objects.filter(
        event_type="auth.password_reset_requested", aggregate_id=str(member.id)
    ).latest("position")
    return open_event_secret(
        event.payload["reset_token_sealed"], purpose=PASSWORD_RESET_TOKEN_PURPOSE
    )


@pytest.mark.parametrize("registered", [True, False], ids=["registered", "unknown"])
def test_a_reset_request_is_accepted_whether_or_not_the_address_exists(
    api_client, account, registered
):
    email = account().email if registered else "nobody@example.com"
    response = request_reset(api_client, email)
    assert response.status_code == 202
    assert response.json() == {
        "detail": "If this address has an account, a reset link is on its way."
    }
    events = OutboxEvent.objects.filter(event_type="auth.password_reset_requested")
    assert events.count() == (1 if registered else 0)


def test_the_reset_event_carries_a_sealed_single_use_token(api_client, account):
    member = account()
    before = timezone.now()
    request_reset(api_client, member.email.upper())
    event = OutboxEvent.objects.get(event_type="auth.password_reset_requested")
    payload = event.payload
    assert set(payload) == {"user_id", "email", "name", "reset_token_sealed", "expires_at"}
    assert (payload["user_id"], payload["email"]) == (str(member.id), member.email)
    token = emailed_token(member)
    assert token not in str(payload)
    expires_at = datetime.fromisoformat(payload["expires_at"])
    assert before + timedelta(minutes=59) < expires_at <= timezone.now() + timedelta(hours=1)
    stored = PasswordResetToken.objects.get()
    assert stored.token_hash != token
    assert len(stored.token_hash) == 64
    # Sealed for this purpose only.
    with pytest.raises(DecryptionError):
        open_event_secret(payload["reset_token_sealed"], purpose="something.else")


def test_confirm_sets_the_password_once_and_ends_every_session(api_client, account):
    member = account()
    session = login(api_client, member).json()
    started = RefreshSession.objects.get()
    request_reset(api_client, member.email)
    token = emailed_token(member)

    response = confirm(api_client, token)
    assert response.status_code == 204, response.content
    assert login(api_client, member).json()["code"] == "invalid_credentials"
    assert login(api_client, member, password=NEW_PASSWORD).status_code == 200
    started.refresh_from_db()
    assert started.revoked_at is not None
    refreshed = api_client.post(
        "/api/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, format="json"
    )
    assert refreshed.json()["code"] == "invalid_token"
    kinds = list(OutboxEvent.objects.order_by("position").values_list("event_type", flat=True))
    assert kinds[-2:] == ["auth.password_changed", "auth.sessions_revoked"]
    revoked = OutboxEvent.objects.get(event_type="auth.sessions_revoked")
    assert revoked.payload["reason"] == "password_reset"

    again = confirm(api_client, token, password="yet another passphrase")
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"


def test_an_expired_token_is_invalid(api_client, account):
    member = account()
    request_reset(api_client, member.email)
    PasswordResetToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = confirm(api_client, emailed_token(member))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    assert login(api_client, member).status_code == 200


@pytest.mark.parametrize("token", ["never-issued", "x" * 200])
def test_an_unknown_token_is_invalid(api_client, token):
    response = confirm(api_client, token)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_a_weak_new_password_keeps_the_token_usable(api_client, account):
    member = account()
    request_reset(api_client, member.email)
    token = emailed_token(member)
    weak = confirm(api_client, token, password="password123")
    assert weak.status_code == 400
    assert weak.json()["code"] == "validation_error"
    assert "new_password" in weak.json()["errors"]
    assert confirm(api_client, token).status_code == 204


def test_changing_the_password_voids_outstanding_reset_tokens(api_client, account):
    member = account()
    request_reset(api_client, member.email)
    first = emailed_token(member)
    request_reset(api_client, member.email)
    second = emailed_token(member)
    assert confirm(api_client, second).status_code == 204
    assert confirm(api_client, first, password="one more passphrase").json()["code"] == (
        "invalid_token"
    )


def test_a_reset_lifts_the_login_lockout(api_client, account):
    member = account()
    for _ in range(10):
        login(api_client, member, password="wrong password!!")
    assert login(api_client, member).status_code == 429
    request_reset(api_client, member.email)
    confirm(api_client, emailed_token(member))
    assert login(api_client, member, password=NEW_PASSWORD).status_code == 200


def test_reset_requests_are_limited_per_address_registered_or_not(api_client, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "auth.password_reset_email": "2/hour"},
    }
    for n in range(2):
        assert (
            request_reset(
                APIClient(), "victim@example.com", HTTP_X_REAL_IP=f"192.0.2.{n}"
            ).status_code
            == 202
        )
    response = request_reset(APIClient(), "VICTIM@example.com", HTTP_X_REAL_IP="192.0.2.50")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert (
        request_reset(APIClient(), "other@example.com", HTTP_X_REAL_IP="192.0.2.50").status_code
        == 202
    )


def test_reset_requests_are_limited_per_client_ip(api_client, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "auth.password_reset": "2/hour"},
    }
    for n in range(2):
        assert (
            request_reset(api_client, f"p{n}@example.com", HTTP_X_REAL_IP="192.0.2.7").status_code
            == 202
        )
    assert (
        request_reset(api_client, "p3@example.com", HTTP_X_REAL_IP="192.0.2.7").status_code == 429
    )


def test_an_invalid_address_is_a_validation_error(api_client):
    response = request_reset(api_client, "not an address")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]
