"""Rate limits of the auth endpoints, keyed by what the gateway vouches for.

The client address is the gateway's ``X-Real-IP`` (``CLIENT_IP_HEADER``), which the
gateway overwrites; ``REMOTE_ADDR`` when the header is absent (a direct call in
development). ``X-Forwarded-For`` is never read: a client writes what it likes there.
Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (env settings), read at each
request.
"""

from __future__ import annotations

import ipaddress
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from auth_service.accounts.addresses import normalise_email
from auth_service.accounts.metrics import LOGINS


def client_ip(request: HttpRequest | Request) -> str | None:
    """The client's address as the gateway reports it; ``None`` if nothing sane is there."""
    meta = request.META
    for candidate in (meta.get(settings.CLIENT_IP_HEADER), meta.get("REMOTE_ADDR")):
        if candidate:
            try:
                return str(ipaddress.ip_address(str(candidate).strip()))
            except ValueError:
                continue
    return None


class ScopedRateThrottle(SimpleRateThrottle):
    """A rate per ``scope``, counted in the shared cache (Redis) per :meth:`ident_of`."""

    scope: str

    def get_rate(self) -> str | None:
        rates = cast(dict[str, str | None], api_settings.DEFAULT_THROTTLE_RATES)
        return rates.get(self.scope)

    def ident_of(self, request: Request, view: Any) -> str | None:
        return client_ip(request) or "unknown"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        ident = self.ident_of(request, view)
        if ident is None:
            return None  # nothing to count by: not throttled here
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginRateThrottle(ScopedRateThrottle):
    scope = "auth.login"

    def throttle_failure(self) -> bool:
        LOGINS.labels("throttled").inc()
        return super().throttle_failure()


class RegisterRateThrottle(ScopedRateThrottle):
    scope = "auth.register"


class RefreshRateThrottle(ScopedRateThrottle):
    scope = "auth.refresh"


class PasswordResetRateThrottle(ScopedRateThrottle):
    scope = "auth.password_reset"


class PasswordResetEmailRateThrottle(ScopedRateThrottle):
    """Per address asked for, registered or not, so it reveals nothing."""

    scope = "auth.password_reset_email"

    def ident_of(self, request: Request, view: Any) -> str | None:
        email = request.data.get("email") if isinstance(request.data, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None  # the serializer will refuse it
        # Keyed by an HMAC: no address in Redis key names.
        return salted_hmac(self.scope, normalise_email(email), algorithm="sha256").hexdigest()


class PasswordResetConfirmRateThrottle(ScopedRateThrottle):
    scope = "auth.password_reset_confirm"


class PasswordChangeRateThrottle(ScopedRateThrottle):
    """Per signed-in user: guessing the current password with a stolen token is slow."""

    scope = "auth.password_change"

    def ident_of(self, request: Request, view: Any) -> str | None:
        return str(request.user.id) if request.user else None
