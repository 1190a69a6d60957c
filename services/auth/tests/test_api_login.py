"""POST /api/v1/auth/login: tokens, identical failures, lockout and the per-IP rate."""

from __future__ import annotations

import jwt
import pytest
from django_redis import get_redis_connection

from auth_service.accounts import lockout
from auth_service.accounts.models import RefreshSession
from auth_service.keys.models import SigningKey
from tests.factories import login

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/login"


def fail(client, email, **extra):
    return login(client, email=email, password="wrong password, sorry", **extra)


def test_login_returns_a_token_pair(api_client, account):
    member = account(role="moderator")
    response = login(api_client, member, HTTP_USER_AGENT="pytest/1", HTTP_X_REAL_IP="198.51.100.7")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
    assert response["Cache-Control"] == "no-store"
    session = RefreshSession.objects.get()
    assert (session.client_ip, session.user_agent) == ("198.51.100.7", "pytest/1")
    assert session.credential_id == member.id


def test_the_access_token_carries_the_contract_claims(api_client, account, settings):
    member = account(role="admin")
    token = login(api_client, member).json()["access_token"]
    header = jwt.get_unverified_header(token)
    key = SigningKey.objects.get(status="active")
    assert (header["alg"], header["kid"]) == ("ES256", key.kid)
    claims = jwt.decode(
        token,
        jwt.PyJWK({**key.public_jwk, "alg": key.algorithm}).key,
        algorithms=[key.algorithm],
        audience="strata",
        issuer=settings.JWT_ISSUER,
    )
    assert set(claims) == {"iss", "aud", "sub", "role", "iat", "exp", "jti"}
    assert (claims["sub"], claims["role"]) == (str(member.id), "admin")
    assert isinstance(claims["iat"], float)  # a fraction of a second: exact revocation
    assert claims["exp"] - claims["iat"] == pytest.approx(900, abs=1)


def test_the_email_is_matched_whatever_its_case(api_client, account):
    member = account(email="grace@example.com")
    assert login(api_client, member, email="  GRACE@Example.COM ").status_code == 200


def test_a_stray_authorization_header_does_not_matter_on_login(api_client, account):
    member = account()
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert login(api_client, member).status_code == 200


@pytest.mark.parametrize("case", ["unknown email", "wrong password", "deactivated"])
def test_failures_are_answered_alike(api_client, account, case):
    member = account(is_active=case != "deactivated")
    email = "nobody@example.com" if case == "unknown email" else member.email
    password = "not the password!" if case == "wrong password" else member.password
    response = login(api_client, email=email, password=password)
    assert response.status_code == 401
    body = response.json()
    assert (body["code"], body["detail"]) == (
        "invalid_credentials",
        "The email or password is not correct.",
    )
    assert not RefreshSession.objects.exists()


def test_login_with_users_down_is_503_and_starts_nothing(api_client, account, users_down):
    member = account()
    users_down()
    response = login(api_client, member)
    assert response.status_code == 503
    assert response.json()["code"] == "dependency_unavailable"
    assert not RefreshSession.objects.exists()


def test_a_user_unknown_to_users_cannot_log_in(api_client, account, users):
    member = account()
    users.reset()
    assert login(api_client, member).json()["code"] == "invalid_credentials"


def test_argon2_parameters_are_upgraded_at_login(api_client, account, settings):
    member = account()
    settings.ARGON2_MEMORY_KIB = 16
    assert login(api_client, member).status_code == 200
    member.credential.refresh_from_db()
    assert "m=16," in member.credential.password_hash


# Lockout ------------------------------------------------------------------------------


def unlock(email):
    """What the passing of the lock's wait does, without waiting."""
    _, locked = lockout._keys(email)
    get_redis_connection("default").delete(locked)


@pytest.mark.parametrize("registered", [True, False], ids=["registered", "unknown"])
def test_lockout_waits_grow_with_each_further_failure(api_client, account, registered):
    email = account().email if registered else "ghost@example.com"
    for _ in range(9):
        assert fail(api_client, email).status_code == 401
    # The tenth failure is still judged, then the account is locked for the base wait.
    assert fail(api_client, email).json()["code"] == "invalid_credentials"
    waits = []
    for _ in range(3):
        locked = fail(api_client, email)
        assert locked.status_code == 429
        assert locked.json()["code"] == "throttled"
        waits.append(int(locked["Retry-After"]))
        unlock(email)
        assert fail(api_client, email).status_code == 401  # the 11th, 12th, 13th failure
    assert waits == [30, 60, 120]


def test_locked_accounts_refuse_even_the_right_password(api_client, account):
    member = account()
    for _ in range(10):
        fail(api_client, member.email)
    response = login(api_client, member)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 30
    assert not RefreshSession.objects.exists()


def test_registered_and_unknown_addresses_get_identical_answers(api_client, account):
    member = account()
    answers = {}
    for n, email in enumerate((member.email, "nobody@example.com")):
        seen = []
        for _ in range(11):  # from two addresses, to stay under the per-IP rate
            response = fail(api_client, email, HTTP_X_REAL_IP=f"192.0.2.{n + 1}")
            body = response.json()
            seen.append(
                (response.status_code, body["code"], body["detail"], response.get("Retry-After"))
            )
        answers[email] = seen
    assert answers[member.email] == answers["nobody@example.com"]


def test_the_wait_is_capped(settings):
    settings.LOCKOUT_MAX_WAIT_SECONDS = 900
    assert [lockout.wait_after(n) for n in (9, 10, 11, 15, 16, 100, 10_000)] == [
        0, 30, 60, 900, 900, 900, 900,
    ]  # fmt: skip


def test_a_successful_login_resets_the_count(api_client, account):
    member = account()
    for _ in range(9):
        fail(api_client, member.email)
    assert login(api_client, member).status_code == 200
    for _ in range(9):
        assert fail(api_client, member.email).status_code == 401
    assert fail(api_client, member.email).status_code == 401  # would be 429 without the reset


def test_failures_are_forgotten_after_a_quiet_period(api_client, account):
    member = account()
    for _ in range(9):
        fail(api_client, member.email)
    failures, _ = lockout._keys(member.email)
    ttl = get_redis_connection("default").ttl(failures)
    assert 890 <= ttl <= 900  # AUTH_LOCKOUT_WINDOW_SECONDS after the last failure
    get_redis_connection("default").delete(failures)  # the quiet period has passed
    for _ in range(9):
        assert fail(api_client, member.email).status_code == 401


def test_lockout_keys_hold_no_address(api_client):
    fail(api_client, "private.person@example.com")
    keys = [key.decode() for key in get_redis_connection("default").keys("*")]
    assert keys
    assert not any("private.person" in key for key in keys)


# Per-IP rate ------------------------------------------------------------------------


@pytest.fixture
def login_rate(settings):
    def set_rate(rate):
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**rates, "auth.login": rate},
        }

    return set_rate


def test_login_requests_are_limited_per_client_ip(api_client, login_rate):
    login_rate("3/min")
    ip = {"HTTP_X_REAL_IP": "203.0.113.5"}
    for n in range(3):
        assert fail(api_client, f"u{n}@example.com", **ip).status_code == 401
    response = fail(api_client, "u9@example.com", **ip)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert fail(api_client, "u9@example.com", HTTP_X_REAL_IP="203.0.113.6").status_code == 401


def test_x_forwarded_for_cannot_change_the_client_ip(api_client, login_rate):
    login_rate("2/min")
    for n in range(2):
        spoof = {"HTTP_X_REAL_IP": "203.0.113.5", "HTTP_X_FORWARDED_FOR": f"10.0.0.{n}"}
        assert fail(api_client, "a@example.com", **spoof).status_code == 401
    spoof = {"HTTP_X_REAL_IP": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "10.9.9.9"}
    assert fail(api_client, "a@example.com", **spoof).status_code == 429


def test_without_the_gateway_header_the_peer_address_counts(api_client, login_rate):
    login_rate("1/min")
    assert fail(api_client, "a@example.com", REMOTE_ADDR="192.0.2.1").status_code == 401
    assert (
        fail(
            api_client, "a@example.com", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="192.0.2.99"
        ).status_code
        == 429
    )
    assert fail(api_client, "a@example.com", REMOTE_ADDR="192.0.2.2").status_code == 401
