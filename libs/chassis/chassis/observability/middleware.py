"""Request id and HTTP metrics middleware (the first two in every service's stack)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from chassis.observability.context import REQUEST_ID_HEADER, bound_request_id
from chassis.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS, route_label


class RequestIdMiddleware:
    """Bind the request id (the client's when sane, a new one otherwise) and echo it.

    Not django-structlog's middleware: it neither validates a client's id nor echoes it,
    and the id must also reach gRPC metadata, event envelopes and Channels, all of which
    read the one contextvar in ``chassis.observability.context``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bound_request_id(request.headers.get(REQUEST_ID_HEADER)) as request_id:
            request.request_id = request_id  # type: ignore[attr-defined]
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            return response


class MetricsMiddleware:
    """Count and time every request by route template, method and status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = route_label(match.route if match else None)
        method = request.method or "GET"
        HTTP_LATENCY.labels(route, method).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
        return response
