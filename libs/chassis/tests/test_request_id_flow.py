"""One request id from the HTTP request into logs, outgoing gRPC metadata and events."""

from __future__ import annotations

import grpc
import pytest
from django.test import Client

from chassis.events.models import OutboxEvent
from chassis.grpc.client import close_channels
from chassis.grpc.testing import running_server
from chassis.observability.context import get_request_id
from strata.users.v1 import user_directory_pb2 as pb
from strata.users.v1 import user_directory_pb2_grpc as pb_grpc


class RecordingDirectory(pb_grpc.UserDirectoryServicer):
    def __init__(self) -> None:
        self.request_ids: list[str | None] = []

    def GetUser(self, request: pb.GetUserRequest, context: grpc.ServicerContext) -> pb.User:
        self.request_ids.append(get_request_id())
        return pb.User(id=request.id, name="Traced")

    def CreateUser(self, request: pb.CreateUserRequest, context: grpc.ServicerContext) -> pb.User:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not used here")

    def BatchGetUsers(
        self, request: pb.BatchGetUsersRequest, context: grpc.ServicerContext
    ) -> pb.BatchGetUsersResponse:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not used here")


@pytest.fixture
def directory(settings):
    servicer = RecordingDirectory()
    with running_server(servicers=[(pb_grpc.add_UserDirectoryServicer_to_server, servicer)]) as s:
        settings.GRPC_TARGETS = {**settings.GRPC_TARGETS, "users": f"127.0.0.1:{s.port}"}
        yield servicer
        close_channels()


@pytest.mark.django_db(transaction=True)
def test_request_id_reaches_logs_grpc_and_the_event_envelope(directory, json_logs):
    response = Client().post("/trace", HTTP_X_REQUEST_ID="flow-42")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "flow-42"
    assert directory.request_ids == ["flow-42"]
    assert OutboxEvent.objects.get(event_type="tests.traced").request_id == "flow-42"
    started = next(line for line in json_logs() if line["event"] == "trace_started")
    assert started["request_id"] == "flow-42"


@pytest.mark.django_db(transaction=True)
def test_a_generated_request_id_flows_the_same_way(directory):
    response = Client().post("/trace")
    generated = response["X-Request-ID"]
    assert directory.request_ids == [generated]
    assert OutboxEvent.objects.get(event_type="tests.traced").request_id == generated
