"""UserDirectory over a real gRPC server on loopback, called through the chassis client."""

from __future__ import annotations

import uuid

import grpc
import pytest

from chassis.grpc.client import close_channels, stub
from chassis.grpc.testing import running_server
from strata.users.v1 import user_directory_pb2 as pb
from strata.users.v1.user_directory_pb2_grpc import UserDirectoryStub
from tests.factories import make_profile
from users_service.profiles.grpc import user_directory
from users_service.profiles.services import profile_update

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def directory(settings):
    with running_server(servicers=[user_directory()]) as server:
        settings.GRPC_TARGETS = {**settings.GRPC_TARGETS, "users": f"127.0.0.1:{server.port}"}
        yield stub(UserDirectoryStub, "users")
        close_channels()


def create(directory, **fields):
    request = pb.CreateUserRequest(
        id=fields.pop("id", str(uuid.uuid4())),
        email=fields.pop("email", "ada@example.com"),
        name=fields.pop("name", "Ada"),
        **fields,
    )
    return directory.CreateUser(request)


def test_create_user_stores_the_profile_with_the_given_id(directory):
    user_id = str(uuid.uuid4())
    user = create(directory, id=user_id, phone="+14155550123", role=pb.ROLE_MODERATOR)
    assert (user.id, user.email, user.name, user.phone) == (
        user_id,
        "ada@example.com",
        "Ada",
        "+14155550123",
    )
    assert user.role == pb.ROLE_MODERATOR
    assert user.is_active
    assert user.created_at.seconds > 0


def test_create_user_is_idempotent_on_id(directory):
    user_id = str(uuid.uuid4())
    first = create(directory, id=user_id)
    again = create(directory, id=user_id, email="ADA@example.com")
    assert again.id == first.id
    assert again.created_at == first.created_at


def test_create_user_with_a_taken_email_is_already_exists(directory):
    create(directory)
    with pytest.raises(grpc.RpcError) as error:
        create(directory, email="Ada@Example.com")
    assert error.value.code() == grpc.StatusCode.ALREADY_EXISTS


@pytest.mark.parametrize(
    "fields",
    [{"id": "not-a-uuid"}, {"email": "not an email"}, {"phone": "12"}, {"name": ""}],
)
def test_create_user_rejects_bad_input_naming_the_field(directory, fields):
    with pytest.raises(grpc.RpcError) as error:
        create(directory, **fields)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    [field] = fields
    assert str(error.value.details()).startswith(f"{field}: ")
    metadata = {item.key: str(item.value) for item in error.value.trailing_metadata()}
    assert metadata["strata-error-code"] == "validation_error"


def test_get_user_and_not_found(directory):
    profile = make_profile(phone=None)
    user = directory.GetUser(pb.GetUserRequest(id=str(profile.id)))
    assert user.name == profile.name
    assert not user.HasField("phone")
    with pytest.raises(grpc.RpcError) as error:
        directory.GetUser(pb.GetUserRequest(id=str(uuid.uuid4())))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


def test_batch_get_returns_the_ones_that_exist(directory):
    a, b = make_profile(name="A"), make_profile(name="B")
    response = directory.BatchGetUsers(
        pb.BatchGetUsersRequest(ids=[str(a.id), str(uuid.uuid4()), str(b.id), "junk", str(a.id)])
    )
    assert sorted(u.name for u in response.users) == ["A", "B"]
    assert all(not u.HasField("phone") for u in response.users)


def test_batch_get_follows_renames(directory):
    profile = make_profile(name="Before")
    request = pb.BatchGetUsersRequest(ids=[str(profile.id)])
    assert directory.BatchGetUsers(request).users[0].name == "Before"
    profile_update(profile=profile, name="After")
    assert directory.BatchGetUsers(request).users[0].name == "After"


def test_batch_get_refuses_oversized_batches(directory):
    with pytest.raises(grpc.RpcError) as error:
        directory.BatchGetUsers(pb.BatchGetUsersRequest(ids=[str(uuid.uuid4())] * 501))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_calls_without_the_service_credential_are_unauthenticated(directory, settings):
    with running_server(servicers=[user_directory()]) as server:
        channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
        raw = UserDirectoryStub(channel)
        with pytest.raises(grpc.RpcError) as error:
            raw.GetUser(pb.GetUserRequest(id=str(uuid.uuid4())), timeout=3)
        channel.close()
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
