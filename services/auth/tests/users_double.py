"""An in-memory UserDirectory: the users service as auth's contract with it describes it.

Small on purpose, and faithful where auth relies on it: CreateUser is idempotent on the
id (same email, any case) and answers ALREADY_EXISTS for a taken email or id,
INVALID_ARGUMENT for a phone that is not E.164; GetUser answers NOT_FOUND for an unknown
id. Tests change a user's role and standing with :meth:`set_role` and :meth:`set_active`.
"""

from __future__ import annotations

import re
import threading
import uuid

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from strata.users.v1 import user_directory_pb2 as pb
from strata.users.v1 import user_directory_pb2_grpc as pb_grpc

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
ROLES = {"user": pb.ROLE_USER, "moderator": pb.ROLE_MODERATOR, "admin": pb.ROLE_ADMIN}


class InMemoryUserDirectory(pb_grpc.UserDirectoryServicer):
    def __init__(self) -> None:
        self._users: dict[str, pb.User] = {}
        self._lock = threading.Lock()
        self.calls: list[str] = []

    def reset(self) -> None:
        with self._lock:
            self._users.clear()
            self.calls.clear()

    # What tests look at and change --------------------------------------------------

    def get(self, user_id: uuid.UUID | str) -> pb.User | None:
        return self._users.get(str(user_id))

    def set_active(self, user_id: uuid.UUID | str, active: bool) -> None:
        self._users[str(user_id)].is_active = active

    def set_role(self, user_id: uuid.UUID | str, role: str) -> None:
        self._users[str(user_id)].role = ROLES[role]

    def __len__(self) -> int:
        return len(self._users)

    # The RPCs --------------------------------------------------------------------

    def CreateUser(self, request: pb.CreateUserRequest, context: grpc.ServicerContext) -> pb.User:
        self.calls.append("CreateUser")
        try:
            uuid.UUID(request.id)
        except ValueError:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "id: not a UUID")
        if request.HasField("phone") and not E164.match(request.phone):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "phone: not E.164")
        with self._lock:
            existing = self._users.get(request.id)
            if existing is not None:
                if existing.email.lower() == request.email.lower():
                    return existing
                context.abort(grpc.StatusCode.ALREADY_EXISTS, "id taken")
            if any(u.email.lower() == request.email.lower() for u in self._users.values()):
                context.abort(grpc.StatusCode.ALREADY_EXISTS, "email taken")
            now = Timestamp()
            now.GetCurrentTime()
            user = pb.User(
                id=request.id,
                email=request.email,
                name=request.name,
                role=request.role or pb.ROLE_USER,
                is_active=True,
                created_at=now,
                updated_at=now,
            )
            if request.HasField("phone"):
                user.phone = request.phone
            self._users[request.id] = user
            return user

    def GetUser(self, request: pb.GetUserRequest, context: grpc.ServicerContext) -> pb.User:
        self.calls.append("GetUser")
        user = self._users.get(request.id)
        if user is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        return user

    def BatchGetUsers(
        self, request: pb.BatchGetUsersRequest, context: grpc.ServicerContext
    ) -> pb.BatchGetUsersResponse:
        self.calls.append("BatchGetUsers")
        found = {i: self._users[i] for i in request.ids if i in self._users}
        return pb.BatchGetUsersResponse(users=list(found.values()))
