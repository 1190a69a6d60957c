"""The gRPC server bootstrap and its interceptors, over a real loopback connection."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator

import grpc
import pytest
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from prometheus_client import REGISTRY

from chassis.errors import NotFound
from chassis.grpc.server import (
    GrpcServer,
    build_server,
    refresh_health,
    serve,
    start_health_watcher,
)
from chassis.grpc.testing import running_server
from chassis.observability.context import get_request_id
from strata.users.v1 import user_directory_pb2, user_directory_pb2_grpc

SERVICE = "strata.users.v1.UserDirectory"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class Directory(user_directory_pb2_grpc.UserDirectoryServicer):
    """GetUser's id picks the behaviour; the answer's name is the bound request id."""

    def __init__(self) -> None:
        self.connection: BaseDatabaseWrapper | None = None

    def GetUser(
        self, request: user_directory_pb2.GetUserRequest, context: grpc.ServicerContext
    ) -> user_directory_pb2.User:
        if request.id == "boom":
            raise RuntimeError("password=hunter2 at db.internal:5432")
        if request.id == "missing":
            raise NotFound("No user has this id.")
        if request.id == "aborted":
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "Chosen by the servicer.")
        if request.id.startswith("sleep:"):
            time.sleep(float(request.id.removeprefix("sleep:")))
        if request.id == "expire-db-connection":
            # This handler thread's own connection, used, then past its CONN_MAX_AGE.
            self.connection = connections["default"]
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            self.connection.close_at = time.monotonic()
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
def server(directory: Directory) -> Iterator[GrpcServer]:
    registration = (user_directory_pb2_grpc.add_UserDirectoryServicer_to_server, directory)
    with running_server(servicers=[registration]) as built:
        yield built


@pytest.fixture
def channel(server: GrpcServer) -> Iterator[grpc.Channel]:
    """A bare channel: no credential, request id or deadline is added for us."""
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as bare:
        yield bare


@pytest.fixture
def token(settings) -> str:
    return str(settings.INTERNAL_GRPC_TOKEN)


def get_user(
    channel: grpc.Channel, user_id: str, metadata: tuple[tuple[str, str], ...] = ()
) -> user_directory_pb2.User:
    directory = user_directory_pb2_grpc.UserDirectoryStub(channel)
    return directory.GetUser(
        user_directory_pb2.GetUserRequest(id=user_id), metadata=metadata, timeout=5
    )


def health_status(channel: grpc.Channel, service: str = "") -> int:
    request = health_pb2.HealthCheckRequest(service=service)
    return health_pb2_grpc.HealthStub(channel).Check(request, timeout=5).status


def handled_total(code: str) -> float:
    labels = {"grpc_service": SERVICE, "grpc_method": "GetUser", "grpc_code": code}
    return REGISTRY.get_sample_value("grpc_server_handled_total", labels) or 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "metadata",
    [
        (),
        (("authorization", "Bearer not-the-token"),),
        (("authorization", "not-the-token"),),
        (("authorization", "Bearer "),),
    ],
    ids=["missing", "wrong-token", "no-scheme", "empty-token"],
)
def test_call_without_the_service_credential_is_unauthenticated(channel, metadata):
    with pytest.raises(grpc.RpcError) as raised:
        get_user(channel, "u1", metadata)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_call_with_the_service_credential_is_served(channel, token):
    user = get_user(channel, "u1", (("authorization", f"Bearer {token}"),))
    assert user.id == "u1"


def test_unset_token_rejects_every_call(channel, settings):
    settings.INTERNAL_GRPC_TOKEN = ""
    with pytest.raises(grpc.RpcError) as raised:
        get_user(channel, "u1", (("authorization", "Bearer "),))
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_health_check_needs_no_credential(channel):
    assert health_status(channel) == SERVING
    assert health_status(channel, SERVICE) == SERVING


def test_request_id_from_metadata_is_bound_in_the_servicer(channel, token):
    metadata = (("authorization", f"Bearer {token}"), ("x-request-id", "abc123"))
    assert get_user(channel, "u1", metadata).name == "abc123"


def test_server_generates_a_request_id_when_none_is_sent(channel, token):
    name = get_user(channel, "u1", (("authorization", f"Bearer {token}"),)).name
    assert re.fullmatch(r"[0-9a-f]{32}", name)


def test_unexpected_exception_is_internal_without_internals(channel, token, json_logs):
    with pytest.raises(grpc.RpcError) as raised:
        get_user(channel, "boom", (("authorization", f"Bearer {token}"),))
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert "hunter2" not in (raised.value.details() or "")
    assert "RuntimeError" not in (raised.value.details() or "")
    logged = next(line for line in json_logs() if line["event"] == "grpc_unhandled_exception")
    assert "RuntimeError" in logged["exception"]


def test_domain_error_becomes_its_status_with_its_code(channel, token):
    with pytest.raises(grpc.RpcError) as raised:
        get_user(channel, "missing", (("authorization", f"Bearer {token}"),))
    error = raised.value
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == "No user has this id."
    trailing: dict[str, object] = {item.key: item.value for item in error.trailing_metadata()}
    assert trailing["strata-error-code"] == "not_found"


def test_status_chosen_by_the_servicer_is_kept(channel, token):
    with pytest.raises(grpc.RpcError) as raised:
        get_user(channel, "aborted", (("authorization", f"Bearer {token}"),))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert raised.value.details() == "Chosen by the servicer."


@pytest.mark.django_db
def test_expired_database_connection_is_closed_after_the_call(channel, token, directory):
    get_user(channel, "expire-db-connection", (("authorization", f"Bearer {token}"),))
    assert directory.connection is not None
    assert directory.connection.connection is None


@pytest.mark.parametrize(
    ("user_id", "with_credential", "code"),
    [
        ("u1", True, "OK"),
        ("u1", False, "UNAUTHENTICATED"),
        ("boom", True, "INTERNAL"),
        ("missing", True, "NOT_FOUND"),
    ],
)
def test_handled_counter_counts_calls_by_code(channel, token, user_id, with_credential, code):
    metadata = (("authorization", f"Bearer {token}"),) if with_credential else ()
    before = handled_total(code)
    with contextlib.suppress(grpc.RpcError):
        get_user(channel, user_id, metadata)
    assert handled_total(code) == before + 1


def test_handling_time_is_observed(channel, token):
    labels = {"grpc_service": SERVICE, "grpc_method": "GetUser"}
    before = REGISTRY.get_sample_value("grpc_server_handling_seconds_count", labels) or 0.0
    get_user(channel, "u1", (("authorization", f"Bearer {token}"),))
    assert REGISTRY.get_sample_value("grpc_server_handling_seconds_count", labels) == before + 1


@pytest.mark.parametrize("debug", [True, False])
def test_reflection_is_served_only_in_debug(settings, debug):
    settings.DEBUG = debug
    built = build_server(
        servicers=[(user_directory_pb2_grpc.add_UserDirectoryServicer_to_server, Directory())],
        port=0,
    )
    built.server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{built.port}") as channel:
            database = ProtoReflectionDescriptorDatabase(channel)
            if debug:
                assert SERVICE in database.get_services()
            else:
                with pytest.raises(grpc.RpcError) as raised:
                    database.get_services()
                assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        built.server.stop(None).wait()


def test_health_follows_the_dependency_check(server, channel):
    assert refresh_health(server=server, check=lambda: ["database"]) == ["database"]
    assert health_status(channel) == NOT_SERVING
    assert health_status(channel, SERVICE) == NOT_SERVING

    assert refresh_health(server=server, check=lambda: []) == []
    assert health_status(channel) == SERVING
    assert health_status(channel, SERVICE) == SERVING


def test_a_dependency_check_that_raises_means_not_serving(server, channel):
    def broken_check() -> list[str]:
        raise ConnectionError("redis is gone")

    refresh_health(server=server, check=broken_check)
    assert health_status(channel) == NOT_SERVING


def test_health_watcher_rechecks_until_stopped(server, channel):
    failing: list[str] = []
    stop = threading.Event()
    watcher = start_health_watcher(
        server=server, stop=stop, interval=0.05, check=lambda: list(failing)
    )
    try:
        assert health_status(channel) == SERVING
        failing.append("database")
        deadline = time.monotonic() + 5
        while health_status(channel) == SERVING and time.monotonic() < deadline:
            time.sleep(0.02)
        assert health_status(channel) == NOT_SERVING
    finally:
        stop.set()
        watcher.join(timeout=5)
    assert not watcher.is_alive()


def test_health_watch_streams_status_changes(server, channel):
    watch = health_pb2_grpc.HealthStub(channel).Watch(
        health_pb2.HealthCheckRequest(service=SERVICE), timeout=5
    )
    try:
        assert next(watch).status == SERVING
        refresh_health(server=server, check=lambda: ["redis"])
        assert next(watch).status == NOT_SERVING
    finally:
        watch.cancel()


@pytest.mark.django_db(transaction=True)
def test_serve_reports_health_and_metrics_then_drains_on_stop():
    port, metrics_port = free_port(), free_port()
    stop = threading.Event()
    servicers = [(user_directory_pb2_grpc.add_UserDirectoryServicer_to_server, Directory())]
    runner = threading.Thread(
        target=serve,
        kwargs={
            "servicers": servicers,
            "port": port,
            "metrics_port": metrics_port,
            "grace": 1.0,
            "stop": stop,
        },
    )
    runner.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=5)
            # The real check: the test database and Redis are up.
            assert health_status(channel) == SERVING
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                assert b"grpc_server_handled_total" in response.read()

            watch = health_pb2_grpc.HealthStub(channel).Watch(
                health_pb2.HealthCheckRequest(service=""), timeout=5
            )
            assert next(watch).status == SERVING
            stop.set()
            # Health turns NOT_SERVING before the server stops taking calls.
            assert next(watch).status == NOT_SERVING
    finally:
        stop.set()
        runner.join(timeout=10)
    assert not runner.is_alive()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        with pytest.raises(grpc.RpcError) as raised:
            health_status(channel)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
