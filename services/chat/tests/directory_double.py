"""An in-memory UserDirectory served over real gRPC: the users service as chat sees it."""

from __future__ import annotations

import threading

import grpc

from strata.users.v1 import user_directory_pb2 as pb
from strata.users.v1 import user_directory_pb2_grpc as pb_grpc


class InMemoryUserDirectory(pb_grpc.UserDirectoryServicer):
    """Knows the users put in ``names``; counts BatchGetUsers calls; can play dead."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.batch_calls: list[list[str]] = []
        self.unavailable = False
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.names.clear()
            self.batch_calls.clear()
            self.unavailable = False

    def CreateUser(self, request: pb.CreateUserRequest, context: grpc.ServicerContext) -> pb.User:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "chat never creates users")

    def GetUser(self, request: pb.GetUserRequest, context: grpc.ServicerContext) -> pb.User:
        with self._lock:
            name = self.names.get(request.id)
        if name is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        return pb.User(id=request.id, name=name, role=pb.ROLE_USER, is_active=True)

    def BatchGetUsers(
        self, request: pb.BatchGetUsersRequest, context: grpc.ServicerContext
    ) -> pb.BatchGetUsersResponse:
        if self.unavailable:
            context.abort(grpc.StatusCode.UNAVAILABLE, "down for the test")
        with self._lock:
            self.batch_calls.append(list(request.ids))
            found = [
                pb.User(id=user_id, name=self.names[user_id], role=pb.ROLE_USER, is_active=True)
                for user_id in dict.fromkeys(request.ids)
                if user_id in self.names
            ]
        return pb.BatchGetUsersResponse(users=found)


def registration(directory: InMemoryUserDirectory) -> tuple[object, object]:
    return pb_grpc.add_UserDirectoryServicer_to_server, directory
