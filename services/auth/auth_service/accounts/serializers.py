"""Input and output shapes of the auth API (and the problem document, for the schema)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

PASSWORD_MAX = settings.PASSWORD_MAX_LENGTH
TOKEN_MAX = 256  # far longer than any token auth issues: a cap, not a format


def _password(**kwargs: Any) -> serializers.CharField:
    # Passwords are taken exactly as typed: no trimming of spaces.
    return serializers.CharField(max_length=PASSWORD_MAX, trim_whitespace=False, **kwargs)


class RegisterInput(serializers.Serializer[dict[str, Any]]):
    email = serializers.EmailField(max_length=254)
    password = _password()
    name = serializers.CharField(min_length=1, max_length=150)
    phone = serializers.CharField(
        max_length=32, required=False, allow_null=True, allow_blank=True,
        help_text="E.164, e.g. +14155550123.",
    )  # fmt: skip


class AccountOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.CharField()
    created_at = serializers.DateTimeField()


class LoginInput(serializers.Serializer[dict[str, Any]]):
    email = serializers.EmailField(max_length=254)
    password = _password()


class RefreshTokenInput(serializers.Serializer[dict[str, Any]]):
    refresh_token = serializers.CharField(max_length=TOKEN_MAX)


class TokenOutput(serializers.Serializer[Any]):
    access_token = serializers.CharField(help_text="A JWT; send it as 'Authorization: Bearer'.")
    refresh_token = serializers.CharField(help_text="Opaque, single use, valid 7 days.")
    token_type = serializers.CharField(default="Bearer")
    expires_in = serializers.IntegerField(help_text="Seconds the access token stays valid.")


class PasswordChangeInput(serializers.Serializer[dict[str, Any]]):
    current_password = _password()
    new_password = _password()


class PasswordResetInput(serializers.Serializer[dict[str, Any]]):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInput(serializers.Serializer[dict[str, Any]]):
    token = serializers.CharField(max_length=TOKEN_MAX)
    new_password = _password()


class AcceptedOutput(serializers.Serializer[Any]):
    detail = serializers.CharField()


class ProblemOutput(serializers.Serializer[Any]):
    """RFC 9457 problem details, as every error response carries them."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable, snake_case: what clients match on.")
    request_id = serializers.CharField(allow_null=True)
    # A declared field, popped from the class by DRF: it does not hide Serializer.errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors by field.",
    )
