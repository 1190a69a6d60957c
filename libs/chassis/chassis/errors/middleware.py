"""Reject oversized bodies before any view reads them."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from chassis.errors.views import problem_http_response


class BodySizeLimitMiddleware:
    """Answer 413 when ``Content-Length`` exceeds ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

    Django enforces that limit only when ``request.body`` is read; DRF's parsers read the
    stream directly, so without this a large JSON body would be parsed whole.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return problem_http_response(
                status=400, code="bad_request", detail="Content-Length is not a number."
            )
        if limit is not None and length > limit:
            return problem_http_response(
                status=413,
                code="payload_too_large",
                detail=f"The request body is larger than {limit} bytes.",
            )
        return self.get_response(request)
