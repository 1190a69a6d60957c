"""Views that raise each kind of error the exception handler must map."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import authentication, exceptions, serializers, throttling
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chassis.errors import Conflict, DependencyUnavailable, Throttled
from chassis.observability.context import get_request_id


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
