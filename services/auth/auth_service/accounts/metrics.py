"""Auth's domain counters, served on /metrics with the chassis's own."""

from __future__ import annotations

from prometheus_client import Counter

LOGINS = Counter(
    "strata_auth_logins_total",
    "Login attempts by outcome (success, invalid_credentials, locked_out, throttled).",
    ["outcome"],
)
TOKENS_ISSUED = Counter(
    "strata_auth_tokens_issued_total",
    "Access and refresh token pairs issued, by grant (login, refresh).",
    ["grant"],
)
REFRESH_REUSE_DETECTED = Counter(
    "strata_auth_refresh_reuse_detected_total",
    "Rotated refresh tokens presented again; each revoked its whole session family.",
)
