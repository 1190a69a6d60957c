"""POST /api/v1/auth/register, through HTTP with the real middleware and exception handler."""

from __future__ import annotations

import pytest

from auth_service.accounts.models import Credential
from chassis.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/register"
GOOD = {"email": "Ada@Example.com", "password": "correct horse battery staple", "name": "Ada"}


def register(client, **overrides):
    return client.post(URL, {**GOOD, **overrides}, format="json")


def test_register_creates_the_account_in_auth_and_users(api_client, users):
    response = register(api_client, phone="+14155550123")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "email": "ada@example.com",
        "name": "Ada",
        "role": "user",
        "created_at": body["created_at"],
    }
    credential = Credential.objects.get(pk=body["id"])
    assert credential.email == "ada@example.com"
    assert credential.password_hash.startswith("argon2$argon2id$")
    profile = users.get(body["id"])
    assert (profile.email, profile.name, profile.phone) == (
        "ada@example.com",
        "Ada",
        "+14155550123",
    )


def test_register_publishes_user_registered_in_the_outbox(api_client):
    user_id = register(api_client).json()["id"]
    event = OutboxEvent.objects.get(event_type="auth.user_registered")
    assert event.payload == {"user_id": user_id, "email": "ada@example.com", "name": "Ada"}
    assert event.aggregate_id == user_id


@pytest.mark.parametrize("path", [URL, f"{URL}/"])
def test_register_works_with_and_without_trailing_slash(api_client, path):
    assert api_client.post(path, GOOD, format="json").status_code == 201


@pytest.mark.parametrize("email", ["ada@example.com", "ADA@EXAMPLE.COM", "  Ada@example.com "])
def test_a_taken_email_is_a_conflict_whatever_its_case(api_client, email):
    assert register(api_client).status_code == 201
    response = register(api_client, email=email.strip())
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "email_taken"
    assert Credential.objects.count() == 1


def test_an_email_taken_in_users_only_is_a_conflict_too(api_client, users):
    # users knows the address (e.g. a profile left behind): ALREADY_EXISTS → 409.
    register(api_client)
    Credential.objects.all().delete()
    response = register(api_client)
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    assert not Credential.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "short1A!"}, "password"),  # under 10 characters
        ({"password": "x" * 257}, "password"),  # over 256
        ({"password": "password123"}, "password"),  # a common password
        ({"password": "4815162342108"}, "password"),  # numeric only
        ({"password": "ada@example.com!"}, "password"),  # too close to the email
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"name": ""}, "name"),
        ({"name": "n" * 151}, "name"),
        ({"phone": "12345"}, "phone"),  # users refuses it: INVALID_ARGUMENT
        ({"password": {"nested": "object"}}, "password"),
    ],
)
def test_invalid_registrations_are_validation_errors(api_client, users, overrides, field):
    response = register(api_client, **overrides)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["errors"]
    assert not Credential.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_a_password_of_exactly_ten_and_256_characters_is_accepted(api_client):
    assert register(api_client, password="zq8#Lm2!vR").status_code == 201
    assert register(api_client, email="b@example.com", password="zq8#" * 64).status_code == 201


def test_register_with_users_down_is_503_and_stores_nothing(api_client, users_down):
    users_down()
    response = register(api_client)
    assert response.status_code == 503
    assert response.json()["code"] == "dependency_unavailable"
    assert not Credential.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_a_retried_create_user_call_is_answered_alike(users):
    """The contract auth relies on: CreateUser is idempotent on the id auth chose."""
    import uuid

    from auth_service.accounts.directory import directory_user_create

    user_id = uuid.uuid4()
    first = directory_user_create(user_id=user_id, email="a@example.com", name="A", phone=None)
    again = directory_user_create(user_id=user_id, email="A@example.com", name="A", phone=None)
    assert first == again
    assert len(users) == 1


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'["a", "list"]', b'{"email": 1, "password": [], "name": null}'],
)
def test_malformed_bodies_are_4xx_problems(api_client, body):
    response = api_client.generic("POST", URL, body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"


def test_a_wrong_content_type_is_415(api_client):
    response = api_client.generic("POST", URL, b"email=a", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_register_is_throttled_per_client_ip(api_client, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "auth.register": "2/hour"},
    }
    ip = {"HTTP_X_REAL_IP": "203.0.113.9"}
    for n in range(2):
        assert (
            api_client.post(
                URL, {**GOOD, "email": f"u{n}@example.com"}, format="json", **ip
            ).status_code
            == 201
        )
    response = api_client.post(URL, {**GOOD, "email": "u3@example.com"}, format="json", **ip)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    other = {"HTTP_X_REAL_IP": "203.0.113.10"}
    assert (
        api_client.post(
            URL, {**GOOD, "email": "u4@example.com"}, format="json", **other
        ).status_code
        == 201
    )
