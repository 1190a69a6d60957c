"""Views that raise each kind of error the exception handler must map."""

from __future__ import annotations

import uuid
from typing import cast

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from rest_framework import authentication, exceptions, serializers, throttling
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chassis.auth.authentication import TokenUser
from chassis.auth.permissions import IsAdmin, IsSelfOrAdmin, IsSelfOrStaff, IsStaff
from chassis.errors import Conflict, DependencyUnavailable, Throttled
from chassis.events import publish
from chassis.grpc.client import stub
from chassis.observability.context import get_request_id
from strata.users.v1 import user_directory_pb2
from strata.users.v1.user_directory_pb2_grpc import UserDirectoryStub


class EchoInput(serializers.Serializer[dict[str, object]]):
    name = serializers.CharField(max_length=20)
    age = serializers.IntegerField(min_value=0)
    tags = serializers.ListField(child=serializers.CharField(max_length=5), required=False)


class EchoView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"request_id": get_request_id()})

    def post(self, request: Request) -> Response:
        given = EchoInput(data=request.data)
        given.is_valid(raise_exception=True)
        return Response(given.validated_data)


class NeverAuthenticates(authentication.BaseAuthentication):
    """Stands in for bearer authentication when no credentials are sent."""

    def authenticate(self, request: Request) -> None:
        return None

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class ProtectedView(APIView):
    """The default permission (IsAuthenticated) and no credentials: always 401."""

    authentication_classes = [NeverAuthenticates]

    def get(self, request: Request) -> Response:
        return Response({})


class OnePerMinute(throttling.AnonRateThrottle):
    rate = "1/min"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return "throttle-test"


class ThrottledView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [OnePerMinute]

    def get(self, request: Request) -> Response:
        return Response({})


_RAISERS: dict[str, Exception] = {
    "conflict": Conflict("That slug is taken.", code="slug_taken"),
    "dependency": DependencyUnavailable(),
    "strata-throttled": Throttled(retry_after=7),
    "drf-forbidden": exceptions.PermissionDenied(),
    "drf-auth-failed": exceptions.AuthenticationFailed("Token expired.", code="token_expired"),
    "django-forbidden": DjangoPermissionDenied(),
    "django-404": Http404(),
    "model-validation": DjangoValidationError({"slug": ["Enter a valid slug."]}),
    "unexpected": RuntimeError("secret internals: password=hunter2 at db.internal:5432"),
}


class RaiseView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request, kind: str) -> Response:
        raise _RAISERS[kind]


class WhoAmIView(APIView):
    """Bearer authentication and IsAuthenticated, the defaults of every service."""

    def get(self, request: Request) -> Response:
        user = cast(TokenUser, request.user)
        return Response({"id": str(user.id), "role": user.role})


class AdminOnlyView(APIView):
    permission_classes = [IsAdmin]

    def get(self, request: Request) -> Response:
        return Response({})


class StaffOnlyView(APIView):
    permission_classes = [IsStaff]

    def get(self, request: Request) -> Response:
        return Response({})


class _Owned:
    def __init__(self, owner: str):
        self.id = owner


class SelfOrAdminView(APIView):
    permission_classes = [IsAuthenticated, IsSelfOrAdmin]

    def get(self, request: Request, owner: str) -> Response:
        self.check_object_permissions(request, _Owned(owner))
        return Response({})


class SelfOrStaffView(APIView):
    permission_classes = [IsAuthenticated, IsSelfOrStaff]

    def get(self, request: Request, owner: str) -> Response:
        self.check_object_permissions(request, _Owned(owner))
        return Response({})


class TraceView(APIView):
    """Does what a real endpoint does downstream: logs, calls gRPC, publishes an event."""

    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        structlog.get_logger("trace").info("trace_started")
        directory = stub(UserDirectoryStub, "users")
        user = directory.GetUser(user_directory_pb2.GetUserRequest(id=str(uuid.uuid4())))
        with transaction.atomic():
            publish("tests.traced", {"name": user.name})
        return Response({"name": user.name})
