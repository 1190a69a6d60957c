"""The platform's periodic jobs, driven by the worker's beat (the only one that runs).

Beat sends each job by task name to the queue of the service that owns the data, so the
job runs with that service's code and database role; this module imports none of it.
A job whose message waited past its ``expires`` (a broker outage, a stopped worker) is
dropped instead of run late: the next one does the same work.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from chassis.events.schedule import events_beat_schedule
from chassis.periodic import (
    AUTH_PURGE_EXPIRED_SESSIONS,
    AUTH_PURGE_SPENT_RESET_TOKENS,
    USERS_RECONCILE_REGISTRATIONS,
    WORKER_PURGE_NOTIFICATIONS,
)
from chassis.settings import SERVICES

HOUR = 3600.0


# Every ten minutes: a profile left without a credential goes between 60 and 70 minutes
# after it was created.
RECONCILE_REGISTRATIONS_SECONDS = 600.0


def _job(task: str, schedule: Any, *, queue: str, expires: float) -> dict[str, Any]:
    return {"task": task, "schedule": schedule, "options": {"queue": queue, "expires": expires}}


def service_jobs() -> dict[str, dict[str, Any]]:
    """The periodic jobs of the services' own data (the event machinery's are apart)."""
    return {
        # Refresh sessions past their expiry, and rotated ones past the reuse window.
        "auth.purge-expired-sessions": _job(
            AUTH_PURGE_EXPIRED_SESSIONS, crontab(minute=7), queue="auth", expires=HOUR
        ),
        # Reset tokens that were used or have expired.
        "auth.purge-spent-reset-tokens": _job(
            AUTH_PURGE_SPENT_RESET_TOKENS, crontab(minute=37), queue="auth", expires=HOUR
        ),
        # Profiles whose registration never completed (auth failed after CreateUser).
        "users.reconcile-registrations": _job(
            USERS_RECONCILE_REGISTRATIONS,
            RECONCILE_REGISTRATIONS_SECONDS,
            queue="users",
            expires=RECONCILE_REGISTRATIONS_SECONDS,
        ),
        "worker.purge-notifications": _job(
            WORKER_PURGE_NOTIFICATIONS, crontab(minute=47, hour=3), queue="worker", expires=HOUR
        ),
    }


def platform_beat_schedule() -> dict[str, dict[str, Any]]:
    """``CELERY_BEAT_SCHEDULE``: every service's event sweeps and housekeeping, then the rest."""
    return {**events_beat_schedule(SERVICES), **service_jobs()}
