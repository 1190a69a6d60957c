"""One exception handler for every API: all errors become RFC 9457 problem details."""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

import structlog
from django.core import exceptions as django_exceptions
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from chassis.errors import (
    PROBLEM_CONTENT_TYPE,
    StrataError,
    Throttled,
    ValidationFailed,
    problem_body,
)
from chassis.observability.context import get_request_id

logger = structlog.get_logger(__name__)

# DRF's own exceptions, by class, to our stable codes. DRF's default codes are close but
# not ours ("permission_denied", "invalid"), and clients match on these strings.
_DRF_CODES: dict[type[drf.APIException], str] = {
    drf.ParseError: "parse_error",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "invalid_token",
    drf.PermissionDenied: "forbidden",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.Throttled: "throttled",
    drf.ValidationError: "validation_error",
}


def _title(status: int) -> str:
    return HTTPStatus(status).phrase


def problem_response(
    *,
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = problem_body(
        status=status,
        code=code,
        title=_title(status),
        detail=detail,
        request_id=get_request_id(),
        **extra,
    )
    response = Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def validation_errors(detail: Any) -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into ``{"field": ["message", ...]}``.

    Nested fields join with dots (``address.city``), list items with their index, and
    errors not tied to a field sit under ``non_field_errors``.
    """
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            flat.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), item)
        else:
            flat.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return flat


def _from_drf(exc: drf.APIException) -> Response:
    status = int(exc.status_code)
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
    if isinstance(exc, drf.ValidationError):
        return problem_response(
            status=400,
            code="validation_error",
            detail="The request is not valid.",
            errors=validation_errors(exc.detail),
        )
    if isinstance(exc, drf.AuthenticationFailed | drf.NotAuthenticated):
        # DRF downgrades these to 403 when no authenticator offers a challenge; bearer
        # auth always does, so they are 401 with WWW-Authenticate.
        status = 401
        # Our authentication classes raise with a specific code (token_expired, ...).
        detail_code = getattr(exc.detail, "code", None)
        if isinstance(detail_code, str) and detail_code not in {
            "authentication_failed",
            "not_authenticated",
        }:
            code = detail_code
    headers = {}
    if isinstance(exc, drf.Throttled):
        wait: float | None = getattr(exc, "wait", None)
        headers["Retry-After"] = str(max(1, math.ceil(wait or 1)))
    return problem_response(
        status=status,
        code=code or exc.default_code,
        detail=str(exc.detail),
        headers=headers,
    )


def _from_strata(exc: StrataError) -> Response:
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, ValidationFailed):
        extra["errors"] = exc.errors
    if isinstance(exc, Throttled):
        headers["Retry-After"] = str(exc.retry_after)
    return problem_response(
        status=exc.status, code=exc.code, detail=exc.detail, headers=headers, **extra
    )


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's ``EXCEPTION_HANDLER``: map ``exc`` to a problem response, never re-raise."""
    if isinstance(exc, StrataError):
        return _from_strata(exc)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, django_exceptions.PermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, django_exceptions.RequestDataTooBig):
        return problem_response(
            status=413, code="payload_too_large", detail="The request body is too large."
        )
    elif isinstance(exc, django_exceptions.ValidationError):
        # full_clean() in a service function: the model's own field rules.
        return _from_strata(ValidationFailed.from_django(exc))
    if isinstance(exc, drf.APIException):
        return _from_drf(exc)
    view = context.get("view")
    logger.exception("unhandled_exception", view=type(view).__name__ if view else None)
    return problem_response(
        status=500, code="internal_error", detail="An unexpected error occurred."
    )
