"""The chat REST API, through HTTP with the real middleware, auth and exception handler."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from chassis.events.models import OutboxEvent
from chat_service.rooms.models import Membership, Message, Room
from tests.factories import make_message, make_room

pytestmark = pytest.mark.django_db

BASE = "/api/v1/chat/rooms"
OWNER, MEMBER, OUTSIDER, MODERATOR, ADMIN = "owner", "member", "non-member", "moderator", "admin"
CALLERS = (OWNER, MEMBER, OUTSIDER, MODERATOR, ADMIN)
ROLE_OF = {OWNER: "user", MEMBER: "user", OUTSIDER: "user", MODERATOR: "moderator", ADMIN: "admin"}


@dataclass
class World:
    owner_id: uuid.UUID
    member_id: uuid.UUID
    known_user_id: uuid.UUID  # in the directory, in no room
    public: Room
    private: Room
    message: Message  # the member's, in the private room


@pytest.fixture
def world(user_directory) -> World:
    owner_id, member_id, known = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    user_directory.names.update({str(known): "Known", str(member_id): "Member"})
    public = make_room(owner_id=owner_id, slug="lobby", members=[member_id])
    private = make_room(owner_id=owner_id, slug="secret", is_private=True, members=[member_id])
    message = make_message(room=private, sender_id=member_id)
    return World(owner_id, member_id, known, public, private, message)


def caller(api_as, world: World, who: str):
    user_id = {OWNER: world.owner_id, MEMBER: world.member_id}.get(who, uuid.uuid4())
    return api_as(ROLE_OF[who], user_id=user_id)


def expect(**by_caller: int) -> dict[str, int]:
    """Expected statuses: ``everyone=`` for all callers, then per-caller exceptions."""
    everyone = by_caller.pop("everyone", None)
    table = dict.fromkeys(CALLERS, everyone) if everyone is not None else {}
    table.update({key.replace("_", "-"): value for key, value in by_caller.items()})
    assert set(table) == set(CALLERS), table
    return table


# (name, method, path, body, {caller: status}). In paths: {self} is the caller's id,
# {member} the member's, {owner} the owner's, {known} a user no room has, {missing} nobody,
# {message} the member's message in the private room.
MATRIX = [
    ("create room", "post", "", {"slug": "new-room", "name": "New"}, expect(everyone=201)),
    ("list rooms", "get", "", None, expect(everyone=200)),
    ("join public", "post", "lobby/join", None, expect(everyone=204)),
    (
        "join private",
        "post",
        "secret/join",
        None,
        expect(owner=204, member=204, non_member=403, moderator=403, admin=403),
    ),
    ("join missing", "post", "nowhere/join", None, expect(everyone=404)),
    (
        "add member",
        "post",
        "secret/members",
        {"user_id": "{known}"},
        expect(owner=204, member=403, non_member=403, moderator=403, admin=204),
    ),
    (
        "add member, missing room",
        "post",
        "nowhere/members",
        {"user_id": "{known}"},
        expect(everyone=404),
    ),
    (
        "add unknown user",
        "post",
        "secret/members",
        {"user_id": "{missing}"},
        expect(owner=404, member=403, non_member=403, moderator=403, admin=404),
    ),
    (
        "remove another member",
        "delete",
        "secret/members/{member}",
        None,
        expect(owner=204, member=204, non_member=403, moderator=204, admin=204),
    ),
    (
        "remove self",
        "delete",
        "secret/members/{self}",
        None,
        expect(owner=409, member=204, non_member=404, moderator=404, admin=404),
    ),
    (
        "remove the owner",
        "delete",
        "secret/members/{owner}",
        None,
        expect(owner=409, member=403, non_member=403, moderator=409, admin=409),
    ),
    (
        "remove a non-member",
        "delete",
        "secret/members/{missing}",
        None,
        expect(owner=404, member=403, non_member=403, moderator=404, admin=404),
    ),
    ("remove, missing room", "delete", "nowhere/members/{member}", None, expect(everyone=404)),
    (
        "read history",
        "get",
        "secret/messages",
        None,
        expect(owner=200, member=200, non_member=403, moderator=200, admin=200),
    ),
    (
        "read public history",
        "get",
        "lobby/messages",
        None,
        expect(owner=200, member=200, non_member=403, moderator=200, admin=200),
    ),
    ("read, missing room", "get", "nowhere/messages", None, expect(everyone=404)),
    (
        "delete a message",
        "delete",
        "secret/messages/{message}",
        None,
        expect(owner=403, member=204, non_member=403, moderator=204, admin=204),
    ),
    ("delete a missing message", "delete", "secret/messages/{missing}", None, expect(everyone=404)),
    ("delete, missing room", "delete", "nowhere/messages/{message}", None, expect(everyone=404)),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "who", "status"),
    [
        pytest.param(method, path, body, who, status, id=f"{name}-{who}")
        for name, method, path, body, by_caller in MATRIX
        for who, status in by_caller.items()
    ],
)
def test_permission_matrix(api_as, world, method, path, body, who, status):
    client = caller(api_as, world, who)
    names = {
        "self": client.user_id,
        "member": world.member_id,
        "owner": world.owner_id,
        "known": world.known_user_id,
        "missing": uuid.uuid4(),
        "message": world.message.id,
    }
    url = f"{BASE}/{path.format(**names)}".rstrip("/")
    data = {key: value.format(**names) for key, value in body.items()} if body else None
    response = getattr(client, method)(url, data, format="json")
    assert response.status_code == status, response.content
    if status >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == {403: "forbidden", 404: "not_found"}.get(
            status, response.json()["code"]
        )


def test_every_endpoint_requires_a_token(client):
    response = client.get(BASE)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("path", [BASE, f"{BASE}/"])
def test_paths_work_with_and_without_trailing_slash(api_as, path):
    assert api_as("user").get(path).status_code == 200


def test_create_room_makes_the_creator_owner_and_member(api_as):
    client = api_as("user")
    response = client.post(BASE, {"slug": "tea", "name": "Tea", "is_private": True}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "slug": "tea",
        "name": "Tea",
        "is_private": True,
        "owner_id": str(client.user_id),
        "created_at": body["created_at"],
    }
    membership = Membership.objects.get(room__slug="tea")
    assert (membership.user_id, membership.role) == (client.user_id, Membership.Role.OWNER)


def test_a_taken_slug_is_a_conflict(api_as):
    make_room(slug="taken")
    response = api_as("user").post(BASE, {"slug": "taken", "name": "Again"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "slug_taken"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "A-room", "name": "x"}, "slug"),
        ({"slug": "-room", "name": "x"}, "slug"),
        ({"slug": "r", "name": "x"}, "slug"),
        ({"slug": "r" * 64, "name": "x"}, "slug"),
        ({"slug": "ok-room", "name": ""}, "name"),
        ({"slug": "ok-room", "name": "x" * 121}, "name"),
        ({"slug": "ok-room"}, "name"),
        ({"slug": "ok-room", "name": "x", "is_private": "maybe"}, "is_private"),
    ],
)
def test_create_room_validates_its_input(api_as, body, field):
    response = api_as("user").post(BASE, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"]


def test_malformed_json_is_a_problem(api_as):
    response = api_as("user").generic("POST", BASE, "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_room_list_shows_public_rooms_and_my_private_ones_newest_first(api_as):
    me = api_as("admin")
    mine = make_room(is_private=True, members=[me.user_id])
    make_room(is_private=True)  # someone else's: not even an admin lists it
    first_public = make_room()
    second_public = make_room()
    slugs = [room["slug"] for room in me.get(BASE).json()["results"]]
    assert slugs == [second_public.slug, first_public.slug, mine.slug]


def test_history_pages_newest_first_with_a_cursor(api_as):
    client = api_as("user")
    room = make_room(members=[client.user_id])
    bodies = [f"message {n}" for n in range(5)]
    for body in bodies:
        make_message(room=room, sender_id=client.user_id, body=body)
    first = client.get(f"{BASE}/{room.slug}/messages", {"page_size": 2}).json()
    assert [m["body"] for m in first["results"]] == ["message 4", "message 3"]
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [m["body"] for m in second["results"]] == ["message 2", "message 1"]
    third = client.get(second["next"]).json()
    assert [m["body"] for m in third["results"]] == ["message 0"]
    assert third["next"] is None


def test_history_leaves_out_deleted_messages_and_names_the_senders(api_as, user_directory):
    client = api_as("user")
    user_directory.names[str(client.user_id)] = "Ada"
    room = make_room(members=[client.user_id])
    kept = make_message(room=room, sender_id=client.user_id, body="kept")
    gone = make_message(room=room, sender_id=client.user_id, body="gone")
    assert client.delete(f"{BASE}/{room.slug}/messages/{gone.id}").status_code == 204
    results = client.get(f"{BASE}/{room.slug}/messages").json()["results"]
    assert results == [
        {
            "id": str(kept.id),
            "room": room.slug,
            "sender": {"id": str(client.user_id), "name": "Ada"},
            "body": "kept",
            "created_at": results[0]["created_at"],
        }
    ]
    assert results[0]["created_at"].endswith("Z")


def test_a_history_page_asks_the_directory_once(api_as, user_directory):
    client = api_as("user")
    room = make_room(members=[client.user_id])
    senders = [uuid.uuid4() for _ in range(3)]
    for sender in senders:
        user_directory.names[str(sender)] = f"name-{sender}"
        make_message(room=room, sender_id=sender)
    user_directory.batch_calls.clear()
    client.get(f"{BASE}/{room.slug}/messages")  # names were cached by the posts
    assert user_directory.batch_calls == []


def test_deleting_keeps_the_row_marked_deleted(api_as):
    client = api_as("moderator")
    room = make_room()
    message = make_message(room=room, sender_id=uuid.uuid4())
    assert client.delete(f"{BASE}/{room.slug}/messages/{message.id}").status_code == 204
    message.refresh_from_db()
    assert message.deleted_at is not None
    assert message.deleted_by == client.user_id
    again = client.delete(f"{BASE}/{room.slug}/messages/{message.id}")
    assert again.status_code == 404


def test_a_message_of_another_room_is_not_found_here(api_as):
    client = api_as("admin")
    here, there = make_room(), make_room()
    message = make_message(room=there, sender_id=uuid.uuid4())
    assert client.delete(f"{BASE}/{here.slug}/messages/{message.id}").status_code == 404


def test_adding_a_member_lets_them_read_the_private_room(api_as, user_directory):
    owner = api_as("user")
    room = make_room(owner_id=owner.user_id, is_private=True)
    guest = api_as("user")
    user_directory.names[str(guest.user_id)] = "Guest"
    assert guest.get(f"{BASE}/{room.slug}/messages").status_code == 403
    response = owner.post(
        f"{BASE}/{room.slug}/members", {"user_id": str(guest.user_id)}, format="json"
    )
    assert response.status_code == 204
    assert guest.get(f"{BASE}/{room.slug}/messages").status_code == 200
    # Adding twice is no error.
    again = owner.post(
        f"{BASE}/{room.slug}/members", {"user_id": str(guest.user_id)}, format="json"
    )
    assert again.status_code == 204


def test_adding_a_member_while_users_is_down_is_a_503(api_as, user_directory):
    owner = api_as("user")
    room = make_room(owner_id=owner.user_id)
    user_directory.unavailable = True
    response = owner.post(
        f"{BASE}/{room.slug}/members", {"user_id": str(uuid.uuid4())}, format="json"
    )
    assert response.status_code == 503
    assert response.json()["code"] == "dependency_unavailable"


def test_joining_is_idempotent(api_as):
    client = api_as("user")
    room = make_room()
    assert client.post(f"{BASE}/{room.slug}/join").status_code == 204
    assert client.post(f"{BASE}/{room.slug}/join/").status_code == 204
    assert Membership.objects.filter(room=room, user_id=client.user_id).count() == 1


def test_posting_a_message_publishes_chat_message_posted():
    sender = uuid.uuid4()
    room = make_room(members=[sender])
    message = make_message(room=room, sender_id=sender)
    event = OutboxEvent.objects.get(event_type="chat.message_posted")
    assert event.payload == {
        "message_id": str(message.id),
        "room": room.slug,
        "sender_id": str(sender),
    }
