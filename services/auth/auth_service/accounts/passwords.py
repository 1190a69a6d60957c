"""Password rules: Django's validators (AUTH_PASSWORD_VALIDATORS), as domain errors."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from auth_service.accounts.models import Credential
from chassis.errors import ValidationFailed


class MaximumLengthValidator:
    """Django has a minimum-length validator only; the contract caps passwords too."""

    def __init__(self, max_length: int = 256) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: at most {self.max_length} characters.",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"Your password must contain at most {self.max_length} characters."


def password_check_rules(*, password: str, email: str, name: str, field: str) -> None:
    """Raise ``ValidationFailed`` on ``field`` when ``password`` breaks a rule.

    The similarity rule compares it with the account's email and name.
    """
    try:
        # Any object with the attributes and _meta does; django-stubs wants a User.
        validate_password(password, user=cast(Any, Credential(email=email, name=name)))
    except ValidationError as exc:
        raise ValidationFailed(errors={field: list(exc.messages)}) from exc
