"""A base for the endpoints that take no access token (login, JWKS, discovery)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class PublicView(APIView):
    """An endpoint that takes no access token (a stray Authorization header is ignored)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
