"""Domain errors with a stable ``code``, raised by service functions.

They know nothing of HTTP; :mod:`chassis.errors.handler` turns them (and DRF's and
Django's own exceptions) into RFC 9457 problem responses, and gRPC servicers map them to
status codes through ``status``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError

NON_FIELD = "non_field_errors"


class StrataError(Exception):
    """Base of every business error. ``status`` is the HTTP status it maps to."""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"
    default_detail: ClassVar[str] = "The request could not be processed."

    def __init__(self, detail: str | None = None, *, code: str | None = None):
        self.detail = detail or self.default_detail
        self.code = code or self.default_code
        super().__init__(self.detail)


class ValidationFailed(StrataError):
    status = 400
    default_code = "validation_error"
    default_detail = "The request is not valid."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: dict[str, list[str]] | None = None,
    ):
        super().__init__(detail, code=code)
        self.errors = errors or {}

    @classmethod
    def from_django(cls, error: DjangoValidationError) -> ValidationFailed:
        """A model's ``full_clean()`` error, field by field (``non_field_errors`` for the rest)."""
        fields = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD: error.messages}
        return cls(errors={name: [str(m) for m in messages] for name, messages in fields.items()})

    def summary(self) -> str:
        """The field errors on one line (``phone: Enter a valid number.``), or the detail."""
        if not self.errors:
            return self.detail
        return "; ".join(
            f"{name}: {' '.join(messages)}".removeprefix(f"{NON_FIELD}: ")
            for name, messages in self.errors.items()
        )


class Unauthenticated(StrataError):
    status = 401
    default_code = "not_authenticated"
    default_detail = "Authentication credentials were not provided or are not valid."


class Forbidden(StrataError):
    status = 403
    default_code = "forbidden"
    default_detail = "You do not have permission to perform this action."


class NotFound(StrataError):
    status = 404
    default_code = "not_found"
    default_detail = "Not found."


class Conflict(StrataError):
    status = 409
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


class PayloadTooLarge(StrataError):
    status = 413
    default_code = "payload_too_large"
    default_detail = "The request body is too large."


class Throttled(StrataError):
    status = 429
    default_code = "throttled"
    default_detail = "Too many requests."

    def __init__(self, detail: str | None = None, *, code: str | None = None, retry_after: int = 1):
        super().__init__(detail, code=code)
        self.retry_after = max(1, int(retry_after))


class DependencyUnavailable(StrataError):
    status = 503
    default_code = "dependency_unavailable"
    default_detail = "A service this request depends on is unavailable. Try again later."


def problem_body(
    *, status: int, code: str, title: str, detail: str, request_id: str | None, **extra: Any
) -> dict[str, Any]:
    """The RFC 9457 document every error response carries."""
    return {
        "type": f"urn:strata:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id,
        **extra,
    }


PROBLEM_CONTENT_TYPE = "application/problem+json"
