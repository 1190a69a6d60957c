"""The worker's own periodic job (scheduled in ``worker_service.beat``)."""

from __future__ import annotations

from celery import shared_task

from chassis.periodic import WORKER_PURGE_NOTIFICATIONS
from worker_service.notifications.housekeeping import notifications_purge


@shared_task(name=WORKER_PURGE_NOTIFICATIONS)
def purge_notifications_task() -> int:
    """Delete notification log rows older than ``NOTIFICATIONS_RETENTION_DAYS``."""
    return notifications_purge()
