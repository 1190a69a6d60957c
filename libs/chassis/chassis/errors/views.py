"""Problem responses for errors raised outside DRF views (Django's handler404/500)."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse

from chassis.errors import PROBLEM_CONTENT_TYPE, problem_body
from chassis.observability.context import get_request_id


def problem_http_response(
    *,
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """A plain Django response carrying a problem document (for non-DRF code paths)."""
    body = problem_body(
        status=status,
        code=code,
        title=HTTPStatus(status).phrase,
        detail=detail,
        request_id=get_request_id(),
        **(extra or {}),
    )
    return HttpResponse(
        json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE, headers=headers
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_http_response(status=400, code="bad_request", detail="The request is not valid.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_http_response(
        status=403, code="forbidden", detail="You do not have permission to perform this action."
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_http_response(status=404, code="not_found", detail="Not found.")


def server_error(request: HttpRequest) -> HttpResponse:
    return problem_http_response(
        status=500, code="internal_error", detail="An unexpected error occurred."
    )
