"""gRPC ``strata.users.v1.UserDirectory``: how auth and chat learn about users.

Domain errors raised by the services (``Conflict``, ``NotFound``, ``ValidationFailed``)
become gRPC status codes in the chassis error interceptor.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from chassis.auth.roles import Role
from chassis.errors import ValidationFailed
from chassis.grpc.server import ServicerRegistration
from strata.users.v1 import user_directory_pb2 as pb
from strata.users.v1 import user_directory_pb2_grpc as pb_grpc
from users_service.profiles import selectors, services
from users_service.profiles.models import Profile
from users_service.profiles.selectors import ProfileCard

BATCH_LIMIT = 500

_ROLE_TO_PB = {
    Role.USER: pb.ROLE_USER,
    Role.MODERATOR: pb.ROLE_MODERATOR,
    Role.ADMIN: pb.ROLE_ADMIN,
}
_ROLE_FROM_PB = {value: role for role, value in _ROLE_TO_PB.items()}


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _user(profile: Profile | ProfileCard, *, phone: str | None = None) -> pb.User:
    message = pb.User(
        id=str(profile.id),
        email=profile.email,
        name=profile.name,
        role=_ROLE_TO_PB[Role(profile.role)],
        is_active=profile.is_active,
        created_at=_timestamp(profile.created_at),
        updated_at=_timestamp(profile.updated_at),
    )
    if phone is not None:
        message.phone = phone
    return message


def _user_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise ValidationFailed(
            "The id must be a UUID.", errors={"id": ["Must be a UUID."]}
        ) from exc


class UserDirectoryServicer(pb_grpc.UserDirectoryServicer):
    def CreateUser(self, request: pb.CreateUserRequest, context: grpc.ServicerContext) -> pb.User:
        profile, _ = services.profile_create(
            profile_id=_user_id(request.id),
            email=request.email,
            name=request.name,
            phone=request.phone if request.HasField("phone") else None,
            role=_ROLE_FROM_PB.get(request.role, Role.USER),
        )
        return _user(profile, phone=profile.phone)

    def GetUser(self, request: pb.GetUserRequest, context: grpc.ServicerContext) -> pb.User:
        profile = selectors.profile_get(profile_id=_user_id(request.id))
        return _user(profile, phone=profile.phone)

    def BatchGetUsers(
        self, request: pb.BatchGetUsersRequest, context: grpc.ServicerContext
    ) -> pb.BatchGetUsersResponse:
        if len(request.ids) > BATCH_LIMIT:
            raise ValidationFailed(errors={"ids": [f"At most {BATCH_LIMIT} ids per call."]})
        cards = selectors.profile_cards(profile_ids=request.ids)
        return pb.BatchGetUsersResponse(users=[_user(card) for card in cards])


def user_directory() -> ServicerRegistration:
    return pb_grpc.add_UserDirectoryServicer_to_server, UserDirectoryServicer()
