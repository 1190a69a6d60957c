"""``/healthz``, ``/readyz`` and ``/metrics``: plain Django views, no auth, no DRF."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from chassis.errors.views import problem_http_response
from chassis.observability.health import failing_dependencies
from chassis.observability.metrics import CONTENT_TYPE, render_latest


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    failing = failing_dependencies()
    if failing:
        return problem_http_response(
            status=503,
            code="dependency_unavailable",
            detail="Not ready: " + ", ".join(failing) + " unreachable.",
            extra={"failing": failing},
        )
    return JsonResponse({"status": "ready"})


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(render_latest(), content_type=CONTENT_TYPE)
