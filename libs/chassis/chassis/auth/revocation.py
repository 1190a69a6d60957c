"""Per-user "revoked before" markers, shared by every service through Redis.

Auth writes a marker when a user's sessions are revoked (logout-all, password change or
reset, deactivation, role change): every access token issued before it is rejected.
The marker lives as long as an access token can, so it never outlives its purpose.
"""

from __future__ import annotations

import threading
import time

from django_redis import get_redis_connection

MARKER_CACHE_SECONDS = 1.0
_MAX_CACHED_USERS = 10_000
_KEY = "strata:revoked-before:{user_id}"

_cache: dict[str, tuple[float, float | None]] = {}
_lock = threading.Lock()


def revoke_tokens_before(*, user_id: str, moment: float, ttl_seconds: int) -> None:
    """Reject the user's access tokens issued before ``moment`` (a Unix time)."""
    key = _KEY.format(user_id=user_id)
    client = get_redis_connection("default")
    # Never move a marker backwards: a late, older revocation must not re-admit tokens.
    current = client.get(key)
    if current is None or float(current) < moment:
        client.set(key, repr(moment), ex=ttl_seconds)
    with _lock:
        _cache.pop(user_id, None)


def revoked_before(user_id: str) -> float | None:
    """The user's marker, read from Redis at most once a second per process."""
    now = time.monotonic()
    with _lock:
        cached = _cache.get(user_id)
    if cached is not None and now - cached[0] < MARKER_CACHE_SECONDS:
        return cached[1]
    raw = get_redis_connection("default").get(_KEY.format(user_id=user_id))
    value = None if raw is None else float(raw)
    with _lock:
        if len(_cache) >= _MAX_CACHED_USERS:
            _cache.clear()  # bounded: a burst of distinct users costs one extra read each
        _cache[user_id] = (now, value)
    return value


def is_revoked(*, user_id: str, issued_at: float) -> bool:
    """Whether a token of ``user_id`` issued at ``issued_at`` falls before the user's marker."""
    marker = revoked_before(user_id)
    return marker is not None and issued_at < marker


def forget_cached_markers() -> None:
    """Drop the process's cached markers (tests, and after a Redis flush)."""
    with _lock:
        _cache.clear()
