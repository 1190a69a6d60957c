"""Dependency checks behind ``/readyz`` and the gRPC health service."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import redis
from django.conf import settings
from django.db import connection

CHECK_TIMEOUT_SECONDS = 1.0


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any failure means "not ready"; the reason is for logs, not probes
        connection.close()
        return False


@lru_cache(maxsize=1)
def _redis_client() -> redis.Redis:
    # Its own short timeouts: a probe must answer quickly even when Redis hangs.
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
    )


def redis_ok() -> bool:
    try:
        return bool(_redis_client().ping())
    except redis.RedisError:
        return False


CHECKS: dict[str, Callable[[], bool]] = {"database": database_ok, "redis": redis_ok}


def failing_dependencies() -> list[str]:
    """Names of the dependencies that do not answer right now (empty when ready)."""
    return [name for name, check in CHECKS.items() if not check()]
