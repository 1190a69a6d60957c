"""The public key set and the OpenID Connect discovery document."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from auth_service.keys.selectors import jwks_document, signing_algorithms_published
from auth_service.keys.services import signing_key_current
from chassis.auth.views import PublicView

TAG = ["keys"]
# Verifiers cache the set themselves and refetch it on an unknown kid; an intermediary
# cache must not hold it much longer, or a freshly rotated key would be missed behind it.
JWKS_CACHE_CONTROL = "public, max-age=60"
DISCOVERY_CACHE_CONTROL = "public, max-age=3600"

_JWK_FIELDS: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "kty": serializers.CharField(),
    "kid": serializers.CharField(),
    "alg": serializers.CharField(),
    "use": serializers.CharField(),
    "crv": serializers.CharField(required=False),
    "x": serializers.CharField(required=False),
    "y": serializers.CharField(required=False),
    "n": serializers.CharField(required=False),
    "e": serializers.CharField(required=False),
}


class JwksView(PublicView):
    @extend_schema(
        tags=TAG,
        summary="The public keys that verify access tokens",
        description="The active key and those retiring; public members only.",
        responses=inline_serializer(
            "JsonWebKeySet",
            fields={"keys": inline_serializer("JsonWebKey", fields=_JWK_FIELDS, many=True)},
        ),
    )
    def get(self, request: Request) -> Response:
        signing_key_current()  # a fresh installation publishes its first key at once
        return Response(jwks_document(), headers={"Cache-Control": JWKS_CACHE_CONTROL})


def _base_url(request: Request) -> str:
    configured: str = settings.AUTH_PUBLIC_URL
    return configured.rstrip("/") if configured else request.build_absolute_uri("/").rstrip("/")


class OpenIdConfigurationView(PublicView):
    @extend_schema(
        tags=TAG,
        summary="OpenID Connect discovery",
        responses=inline_serializer(
            "OpenIdConfiguration",
            fields={
                "issuer": serializers.CharField(),
                "jwks_uri": serializers.URLField(),
                "token_endpoint": serializers.URLField(),
                "id_token_signing_alg_values_supported": serializers.ListField(
                    child=serializers.CharField()
                ),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        signing_key_current()
        base = _base_url(request)
        document = {
            # The very string access tokens carry in "iss" (JWT_ISSUER).
            "issuer": settings.JWT_ISSUER,
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "token_endpoint": f"{base}/api/v1/auth/login",
            "id_token_signing_alg_values_supported": signing_algorithms_published(),
            "token_endpoint_auth_methods_supported": ["none"],
            "subject_types_supported": ["public"],
            "claims_supported": ["iss", "aud", "sub", "role", "iat", "exp", "jti"],
            "service_documentation": f"{base}/api/docs/auth/",
        }
        return Response(document, headers={"Cache-Control": DISCOVERY_CACHE_CONTROL})
