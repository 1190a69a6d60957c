"""Optional error tracking: on only when ``SENTRY_DSN`` is set, with PII scrubbed."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from chassis.observability.logging import REDACTED, redact_secrets


def _scrub(event: Any, hint: Any) -> Any:
    request = event.get("request") or {}
    for key in ("headers", "data", "cookies"):
        if isinstance(request.get(key), dict):
            request[key] = redact_secrets(None, "", dict(request[key]))
    if "query_string" in request:
        request["query_string"] = REDACTED  # may carry a WebSocket ?token=
    event.pop("user", None)
    return event


def init_sentry() -> None:
    dsn = getattr(settings, "SENTRY_DSN", "")
    if not dsn:
        return
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=settings.STRATA_ENV,
        server_name=settings.STRATA_SERVICE,
        send_default_pii=False,
        before_send=_scrub,
    )
