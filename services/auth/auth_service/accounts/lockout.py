"""Failed-login lockout per account, in the manner of Keycloak's brute-force detection.

Failures are counted per normalised email, whether or not an account has it, so the
answers never tell the two apart. From the ``LOCKOUT_THRESHOLD``-th failure on, each
failure locks the address for a wait that doubles with every further failure, from
``LOCKOUT_BASE_WAIT_SECONDS`` up to ``LOCKOUT_MAX_WAIT_SECONDS``. Attempts while locked
are refused without looking at the password (and are not counted). The count is
forgotten after ``LOCKOUT_WINDOW_SECONDS`` without a failure (plus the running wait),
and at the next successful login.

State lives in Redis, shared by every auth process; keys carry an HMAC of the address,
never the address itself. STRATA_RELAXED_THROTTLES does not apply here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac
from django_redis import get_redis_connection

_PREFIX = "strata:auth:lockout"


def _keys(email: str) -> tuple[str, str]:
    digest = salted_hmac("strata.auth.lockout", email, algorithm="sha256").hexdigest()
    return f"{_PREFIX}:{digest}:failures", f"{_PREFIX}:{digest}:locked"


def wait_after(failures: int) -> int:
    """Seconds an address stays locked after its ``failures``-th consecutive failure."""
    threshold = settings.LOCKOUT_THRESHOLD
    if failures < threshold:
        return 0
    # Capping the exponent first keeps a long attack from building a huge integer.
    doublings = min(failures - threshold, 32)
    return int(
        min(settings.LOCKOUT_MAX_WAIT_SECONDS, settings.LOCKOUT_BASE_WAIT_SECONDS * 2**doublings)
    )


@dataclass(frozen=True)
class LockoutStatus:
    remaining: int  # whole seconds until the address may try again; 0: not locked
    has_failures: bool  # failures are on record, for a successful login to clear


def lockout_status(email: str) -> LockoutStatus:
    """Where ``email`` stands, in one round trip."""
    failures_key, locked_key = _keys(email)
    with get_redis_connection("default").pipeline(transaction=False) as pipe:
        pipe.pttl(locked_key)
        pipe.exists(failures_key)
        remaining_ms, failures = pipe.execute()
    return LockoutStatus(
        remaining=math.ceil(remaining_ms / 1000) if remaining_ms > 0 else 0,
        has_failures=bool(failures),
    )


def lockout_record_failure(email: str) -> int:
    """Count a failed login for ``email``; return the lock it now has, in seconds (0: none)."""
    failures_key, locked_key = _keys(email)
    client = get_redis_connection("default")
    failures = int(client.incr(failures_key))
    wait = wait_after(failures)
    with client.pipeline(transaction=True) as pipe:
        pipe.expire(failures_key, settings.LOCKOUT_WINDOW_SECONDS + wait)
        if wait:
            pipe.set(locked_key, failures, ex=wait)
        pipe.execute()
    return wait


def lockout_clear(email: str) -> None:
    """Forget the failures of ``email`` (after a successful login)."""
    get_redis_connection("default").delete(*_keys(email))
