"""The users service's UserDirectory, as auth needs it (gRPC through the chassis client).

Failures become domain errors: users unreachable (or failing) is ``DependencyUnavailable``
(503), so nothing half-done is ever reported as a success.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import structlog

from chassis.auth.roles import Role
from chassis.errors import Conflict, DependencyUnavailable, ValidationFailed
from chassis.grpc.client import stub
from strata.users.v1 import user_directory_pb2 as pb
from strata.users.v1.user_directory_pb2_grpc import UserDirectoryStub

logger = structlog.get_logger(__name__)

_ROLE_FROM_PB = {
    pb.ROLE_USER: Role.USER,
    pb.ROLE_MODERATOR: Role.MODERATOR,
    pb.ROLE_ADMIN: Role.ADMIN,
}
_ROLE_TO_PB = {role: value for value, role in _ROLE_FROM_PB.items()}


@dataclass(frozen=True)
class DirectoryUser:
    id: uuid.UUID
    email: str
    name: str
    role: Role
    is_active: bool
    created_at: datetime


def _user(message: pb.User) -> DirectoryUser:
    return DirectoryUser(
        id=uuid.UUID(message.id),
        email=message.email,
        name=message.name,
        role=_ROLE_FROM_PB.get(message.role, Role.USER),
        is_active=message.is_active,
        created_at=message.created_at.ToDatetime(tzinfo=UTC),
    )


def _unavailable(error: grpc.RpcError, *, call: str) -> DependencyUnavailable:
    logger.warning("users_directory_failed", call=call, grpc_code=error.code().name)
    return DependencyUnavailable("The users service is unavailable. Try again later.")


def directory_user_create(
    *, user_id: uuid.UUID, email: str, name: str, phone: str | None, role: Role = Role.USER
) -> DirectoryUser:
    """Create the profile under auth's id; a retry with the same id is answered alike.

    Raises ``Conflict(email_taken)``, ``ValidationFailed`` on ``phone`` (the only field
    auth does not check itself) or ``DependencyUnavailable``.
    """
    request = pb.CreateUserRequest(id=str(user_id), email=email, name=name, role=_ROLE_TO_PB[role])
    if phone:
        request.phone = phone
    try:
        return _user(stub(UserDirectoryStub, "users").CreateUser(request))
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.ALREADY_EXISTS:
            raise Conflict(
                "An account with this email already exists.", code="email_taken"
            ) from error
        if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
            raise ValidationFailed(
                errors={"phone": ["Enter a valid phone number in E.164 form, e.g. +14155550123."]}
            ) from error
        raise _unavailable(error, call="CreateUser") from error


class PendingUser:
    """A ``GetUser`` call under way; :meth:`result` waits for it."""

    def __init__(self, user_id: uuid.UUID) -> None:
        request = pb.GetUserRequest(id=str(user_id))
        self._call = stub(UserDirectoryStub, "users").GetUser.future(request)

    def result(self) -> DirectoryUser | None:
        """The user's profile, active or not; ``None`` when users has none."""
        try:
            return _user(self._call.result())
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise _unavailable(error, call="GetUser") from error

    def cancel(self) -> None:
        self._call.cancel()  # type: ignore[no-untyped-call]  # untyped in grpc-stubs


def directory_user_get(*, user_id: uuid.UUID) -> DirectoryUser | None:
    """The user's profile, active or not; ``None`` when users has none."""
    return PendingUser(user_id).result()
