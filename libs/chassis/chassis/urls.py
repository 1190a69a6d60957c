"""URL helpers: optional trailing slashes, the ops endpoints, the admin and the API docs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.urls import URLPattern, URLResolver, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from chassis.observability import views as ops


def optional_slash(route: str, view: Callable[..., Any], *, name: str = "") -> URLPattern:
    """Match ``route`` with and without a trailing slash, without a redirect."""
    return re_path(rf"^{route.strip('/')}/?$", view, name=name)


class Router(SimpleRouter):
    """A DRF router whose routes answer with and without the trailing slash."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


def ops_urlpatterns() -> list[URLPattern]:
    """``/healthz``, ``/readyz`` and ``/metrics`` (the gateway never routes these)."""
    return [
        optional_slash("healthz", ops.healthz, name="healthz"),
        optional_slash("readyz", ops.readyz, name="readyz"),
        optional_slash("metrics", ops.metrics, name="metrics"),
    ]


def admin_urlpatterns() -> list[URLResolver]:
    """The Django admin (dead letters, read-only event tables), on the service's own port."""
    return [path("admin/", admin.site.urls)]


def docs_urlpatterns(service: str) -> list[URLPattern]:
    """The service's OpenAPI 3 document and its Swagger UI."""
    return [
        optional_slash(f"api/schema/{service}", SpectacularAPIView.as_view(), name="schema"),
        optional_slash(
            f"api/docs/{service}",
            SpectacularSwaggerView.as_view(url_name="schema"),
            name="swagger-ui",
        ),
    ]


# Django's error views, as problem responses; a service's urls.py re-exports these.
handler400 = "chassis.errors.views.bad_request"
handler403 = "chassis.errors.views.permission_denied"
handler404 = "chassis.errors.views.not_found"
handler500 = "chassis.errors.views.server_error"
