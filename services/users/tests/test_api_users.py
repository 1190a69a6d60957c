"""The users REST API, through HTTP with the real middleware, auth and exception handler."""

from __future__ import annotations

import time
import uuid

import pytest
from django.db import connection

from chassis.events.models import OutboxEvent
from tests.factories import make_profile

pytestmark = pytest.mark.django_db(transaction=True)

BASE = "/api/v1/users"
USER, MOD, ADMIN = "user", "moderator", "admin"

# (method, path, body, {role: expected status}); {self} is the caller, {other} a plain user,
# {missing} an id nobody has.
MATRIX = [
    ("get", "me", None, {USER: 200, MOD: 200, ADMIN: 200}),
    ("patch", "me", {"name": "Renamed"}, {USER: 200, MOD: 200, ADMIN: 200}),
    ("get", "", None, {USER: 403, MOD: 200, ADMIN: 200}),
    ("get", "{self}", None, {USER: 200, MOD: 200, ADMIN: 200}),
    ("get", "{other}", None, {USER: 403, MOD: 200, ADMIN: 200}),
    ("get", "{missing}", None, {USER: 404, MOD: 404, ADMIN: 404}),
    ("patch", "{self}", {"name": "Renamed"}, {USER: 200, MOD: 200, ADMIN: 200}),
    ("patch", "{other}", {"name": "Renamed"}, {USER: 403, MOD: 403, ADMIN: 200}),
    ("patch", "{missing}", {"name": "Renamed"}, {USER: 404, MOD: 404, ADMIN: 404}),
    ("put", "{other}/role", {"role": "moderator"}, {USER: 403, MOD: 403, ADMIN: 200}),
    ("put", "{self}/role", {"role": "user"}, {USER: 403, MOD: 403, ADMIN: 409}),
    ("put", "{missing}/role", {"role": "user"}, {USER: 403, MOD: 403, ADMIN: 404}),
    ("post", "{other}/deactivate", None, {USER: 403, MOD: 403, ADMIN: 204}),
    ("post", "{self}/deactivate", None, {USER: 403, MOD: 403, ADMIN: 409}),
    ("post", "{missing}/deactivate", None, {USER: 403, MOD: 403, ADMIN: 404}),
    ("post", "{other}/activate", None, {USER: 403, MOD: 403, ADMIN: 204}),
    ("post", "{missing}/activate", None, {USER: 403, MOD: 403, ADMIN: 404}),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "expected"),
    [
        (method, path, body, role, expected)
        for method, path, body, by_role in MATRIX
        for role, expected in by_role.items()
    ],
)
def test_permission_matrix(as_member, method, path, body, role, expected):
    client = as_member(role)
    other = make_profile()
    url = f"{BASE}/" + path.format(self=client.user_id, other=other.id, missing=uuid.uuid4())
    response = getattr(client, method)(url.rstrip("/"), body, format="json")
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
        code = {403: "forbidden", 404: "not_found"}.get(expected)
        if code:
            assert response.json()["code"] == code


@pytest.mark.parametrize("path", [f"{BASE}/me", f"{BASE}/me/", f"{BASE}", f"{BASE}/"])
def test_paths_work_with_and_without_trailing_slash(as_member, path):
    assert as_member(ADMIN).get(path).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), [row[:3] for row in MATRIX])
def test_every_endpoint_requires_a_token(client, method, path, body):
    url = f"{BASE}/" + path.format(self=uuid.uuid4(), other=uuid.uuid4(), missing=uuid.uuid4())
    response = getattr(client, method)(url.rstrip("/"), body, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_returns_the_whole_profile(as_member):
    client = as_member(USER, name="Ada", phone="+14155550123")
    body = client.get(f"{BASE}/me").json()
    assert body == {
        "id": str(client.user_id),
        "email": client.profile.email,
        "name": "Ada",
        "phone": "+14155550123",
        "role": "user",
        "is_active": True,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


@pytest.mark.parametrize(("viewer", "phone"), [(MOD, "+*********23"), (ADMIN, "+14155550123")])
def test_moderators_see_phones_masked_admins_whole(as_member, viewer, phone):
    target = make_profile(phone="+14155550123")
    client = as_member(viewer)
    assert client.get(f"{BASE}/{target.id}").json()["phone"] == phone
    listed = {u["id"]: u for u in client.get(BASE).json()["results"]}
    assert listed[str(target.id)]["phone"] == phone


def test_a_moderator_sees_their_own_phone_whole(as_member):
    client = as_member(MOD, phone="+14155550199")
    assert client.get(f"{BASE}/{client.user_id}").json()["phone"] == "+14155550199"


def test_patch_me_changes_name_and_phone_only(as_member):
    client = as_member(USER)
    response = client.patch(
        f"{BASE}/me",
        {
            "name": "New Name",
            "phone": "+442071838750",
            "role": "admin",
            "email": "x@y.z",
            "is_active": False,
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["phone"]) == ("New Name", "+442071838750")
    assert (body["role"], body["email"], body["is_active"]) == ("user", client.profile.email, True)


def test_patch_me_can_clear_the_phone(as_member):
    client = as_member(USER)
    assert client.patch(f"{BASE}/me", {"phone": None}, format="json").json()["phone"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "+1415555012"}, "phone"),
        ({"phone": "not a number"}, "phone"),
        ({"name": ""}, "name"),
        ({"name": "x" * 151}, "name"),
        ({"name": 42.5}, None),
    ],
)
def test_patch_rejects_bad_input(as_member, body, field):
    client = as_member(USER)
    response = client.patch(f"{BASE}/me", body, format="json")
    if field is None:  # a number where a string is due is coerced by DRF: still valid
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"]


def test_malformed_json_is_a_parse_error(as_member):
    response = as_member(USER).generic(
        "PATCH", f"{BASE}/me", "{nope", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_phone_is_stored_encrypted(as_member):
    client = as_member(USER, phone="+14155550123")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM profiles_profile WHERE id = %s", [client.user_id])
        (stored,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM profiles_profile WHERE phone LIKE '%%4155550123%%'")
        assert cursor.fetchone()[0] == 0
    assert stored.startswith("v1:")


@pytest.mark.parametrize("role", ["superuser", "", None])
def test_set_role_rejects_unknown_roles(as_member, role):
    target = make_profile()
    response = as_member(ADMIN).put(f"{BASE}/{target.id}/role", {"role": role}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()["errors"]


def test_set_role_answers_the_user_and_publishes(as_member):
    target = make_profile()
    response = as_member(ADMIN).put(
        f"{BASE}/{target.id}/role", {"role": "moderator"}, format="json"
    )
    assert response.json()["role"] == "moderator"
    event = OutboxEvent.objects.get(event_type="users.role_changed")
    assert event.payload == {
        "user_id": str(target.id),
        "role": "moderator",
        "previous_role": "user",
    }


def test_self_role_change_and_self_deactivation_are_conflicts(as_member):
    admin = as_member(ADMIN)
    response = admin.put(f"{BASE}/{admin.user_id}/role", {"role": "user"}, format="json")
    assert response.json()["code"] == "self_role_change"
    response = admin.post(f"{BASE}/{admin.user_id}/deactivate")
    assert response.json()["code"] == "cannot_deactivate_self"


def test_deactivation_rejects_the_users_tokens_within_two_seconds(as_member):
    victim = as_member(USER)
    assert victim.get(f"{BASE}/me").status_code == 200
    assert as_member(ADMIN).post(f"{BASE}/{victim.user_id}/deactivate").status_code == 204
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        response = victim.get(f"{BASE}/me")
        if response.status_code == 401:
            break
        time.sleep(0.1)
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
    assert OutboxEvent.objects.filter(event_type="users.user_deactivated").count() == 1


def test_deactivate_and_activate_are_idempotent(as_member):
    admin = as_member(ADMIN)
    target = make_profile()
    for _ in range(2):
        assert admin.post(f"{BASE}/{target.id}/deactivate").status_code == 204
    assert admin.get(f"{BASE}/{target.id}").json()["is_active"] is False
    for _ in range(2):
        assert admin.post(f"{BASE}/{target.id}/activate").status_code == 204
    assert admin.get(f"{BASE}/{target.id}").json()["is_active"] is True
    assert OutboxEvent.objects.filter(event_type="users.user_deactivated").count() == 1
    assert OutboxEvent.objects.filter(event_type="users.user_activated").count() == 1


def test_list_filters_by_role_activity_and_name(as_member):
    admin = as_member(ADMIN, name="The Admin")
    make_profile(name="Alice Moderator", role=MOD)
    bob = make_profile(name="Bob Smith")
    make_profile(name="Carol Smith")
    admin.post(f"{BASE}/{bob.id}/deactivate")

    def names(query: str) -> set[str]:
        response = admin.get(f"{BASE}?{query}")
        assert response.status_code == 200, response.content
        return {u["name"] for u in response.json()["results"]}

    assert names("role=moderator") == {"Alice Moderator"}
    assert names("is_active=false") == {"Bob Smith"}
    assert names("search=SMITH") == {"Bob Smith", "Carol Smith"}
    assert names("search=smith&is_active=true") == {"Carol Smith"}
    assert admin.get(f"{BASE}?role=root").status_code == 400


def test_list_is_cursor_paginated_newest_first(as_member):
    admin = as_member(ADMIN)
    made = [make_profile(name=f"P{i}") for i in range(5)]
    first = admin.get(f"{BASE}?page_size=2").json()
    assert [u["name"] for u in first["results"]] == ["P4", "P3"]
    assert first["previous"] is None
    second = admin.get(first["next"]).json()
    assert [u["name"] for u in second["results"]] == ["P2", "P1"]
    assert len(made) == 5


def test_page_size_is_capped_at_100(as_member):
    admin = as_member(ADMIN)
    for i in range(3):
        make_profile(name=f"P{i}")
    response = admin.get(f"{BASE}?page_size=1000")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 4
