"""Django's browser middleware (sessions, CSRF, login, messages, framing), for the admin only.

The APIs authenticate with bearer tokens and never read a session or a cookie, yet this
middleware ran on every API request and cost about a tenth of a cheap one. Here it wraps
only the requests under ``ADMIN_PREFIX``; everything else passes straight through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

ADMIN_PREFIX = "/admin/"

# In the order Django's project template lists them.
BROWSER_MIDDLEWARE = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)

ViewHook = Callable[[HttpRequest, Callable[..., Any], Any, Any], HttpResponse | None]


def is_admin_path(request: HttpRequest) -> bool:
    return request.path_info.startswith(ADMIN_PREFIX)


class AdminBrowserMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        chain = get_response
        view_hooks: list[ViewHook] = []
        for path in reversed(BROWSER_MIDDLEWARE):
            middleware = import_string(path)(chain)
            if hasattr(middleware, "process_view"):  # CSRF checks the view here
                view_hooks.insert(0, middleware.process_view)
            chain = middleware
        self._admin_chain = chain
        self._view_hooks = view_hooks

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_admin_path(request):
            return self._admin_chain(request)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        # Django calls process_view only on the middleware listed in MIDDLEWARE.
        if not is_admin_path(request):
            return None
        for hook in self._view_hooks:
            response = hook(request, view, args, kwargs)
            if response is not None:
                return response
        return None
