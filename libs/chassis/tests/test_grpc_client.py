"""The gRPC client factory against a real server with the default interceptors."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import grpc
import pytest
from django.core.exceptions import ImproperlyConfigured
from prometheus_client import REGISTRY

from chassis.grpc.client import close_channels, get_channel, stub
from chassis.grpc.server import GrpcServer
from chassis.grpc.testing import running_server
from chassis.observability.context import bound_request_id, get_request_id
from strata.users.v1 import user_directory_pb2, user_directory_pb2_grpc


class Directory(user_directory_pb2_grpc.UserDirectoryServicer):
    """GetUser answers with the bound request id as the name.

    ``sleep:<seconds>`` sleeps first; ``flaky`` is UNAVAILABLE on its first two calls.
    """

    def __init__(self) -> None:
        self.flaky_calls = 0
        self._lock = threading.Lock()

    def GetUser(
        self, request: user_directory_pb2.GetUserRequest, context: grpc.ServicerContext
    ) -> user_directory_pb2.User:
        if request.id.startswith("sleep:"):
            time.sleep(float(request.id.removeprefix("sleep:")))
        if request.id == "flaky":
            with self._lock:
                self.flaky_calls += 1
                attempt = self.flaky_calls
            if attempt <= 2:
                context.abort(grpc.StatusCode.UNAVAILABLE, "Warming up.")
        return user_directory_pb2.User(id=request.id, name=get_request_id() or "")

    def CreateUser(
        self, request: user_directory_pb2.CreateUserRequest, context: grpc.ServicerContext
    ) -> user_directory_pb2.User:
        return user_directory_pb2.User(id=request.id, email=request.email, name=request.name)

    def BatchGetUsers(
        self, request: user_directory_pb2.BatchGetUsersRequest, context: grpc.ServicerContext
    ) -> user_directory_pb2.BatchGetUsersResponse:
        users = [user_directory_pb2.User(id=user_id) for user_id in request.ids]
        return user_directory_pb2.BatchGetUsersResponse(users=users)


@pytest.fixture
def directory() -> Directory:
    return Directory()


@pytest.fixture
def server(directory: Directory, settings) -> Iterator[GrpcServer]:
    registration = (user_directory_pb2_grpc.add_UserDirectoryServicer_to_server, directory)
    with running_server(servicers=[registration]) as built:
        settings.GRPC_TARGETS = {**settings.GRPC_TARGETS, "users": f"127.0.0.1:{built.port}"}
        yield built
    close_channels()


def get_user(
    user_id: str,
    *,
    timeout: float | None = None,
    metadata: tuple[tuple[str, str], ...] | None = None,
) -> user_directory_pb2.User:
    users = stub(user_directory_pb2_grpc.UserDirectoryStub, "users")
    request = user_directory_pb2.GetUserRequest(id=user_id)
    return users.GetUser(request, timeout=timeout, metadata=metadata)


def handled_total(code: str) -> float:
    labels = {
        "grpc_service": "strata.users.v1.UserDirectory",
        "grpc_method": "GetUser",
        "grpc_code": code,
    }
    return REGISTRY.get_sample_value("grpc_server_handled_total", labels) or 0.0


def test_call_through_the_stub_carries_the_credential(server):
    assert get_user("u1").id == "u1"


def test_explicit_metadata_from_the_caller_wins(server):
    with pytest.raises(grpc.RpcError) as raised:
        get_user("u1", metadata=(("authorization", "Bearer someone-else"),))
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_request_id_bound_on_the_client_reaches_the_servicer(server):
    with bound_request_id("abc123"):
        assert get_user("u1").name == "abc123"


def test_default_deadline_applies_when_the_caller_sets_none(server, settings):
    settings.GRPC_DEFAULT_TIMEOUT = 0.2
    before = handled_total("DEADLINE_EXCEEDED")
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as raised:
        get_user("sleep:1")
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 0.9
    # The server counts the call once its handler returns, under the client's outcome.
    deadline = time.monotonic() + 5
    while handled_total("DEADLINE_EXCEEDED") == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert handled_total("DEADLINE_EXCEEDED") == before + 1


def test_a_deadline_from_the_caller_wins_over_the_default(server, settings):
    settings.GRPC_DEFAULT_TIMEOUT = 0.1
    assert get_user("sleep:0.3", timeout=5).id == "sleep:0.3"


def test_unavailable_is_retried_by_the_channel(server, directory):
    assert get_user("flaky", timeout=5).id == "flaky"
    assert directory.flaky_calls == 3


def test_get_channel_keeps_one_channel_per_target():
    try:
        first = get_channel("127.0.0.1:1")
        assert get_channel("127.0.0.1:1") is first
        assert get_channel("127.0.0.1:2") is not first
    finally:
        close_channels()
    assert get_channel("127.0.0.1:1") is not first
    close_channels()


def test_get_channel_is_safe_across_threads():
    channels: list[grpc.Channel] = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        channels.append(get_channel("127.0.0.1:3"))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len({id(channel) for channel in channels}) == 1
    finally:
        close_channels()


def test_stub_for_an_unknown_service_is_a_configuration_error(settings):
    settings.GRPC_TARGETS = {"users": "127.0.0.1:1"}
    with pytest.raises(ImproperlyConfigured):
        stub(user_directory_pb2_grpc.UserDirectoryStub, "billing")
