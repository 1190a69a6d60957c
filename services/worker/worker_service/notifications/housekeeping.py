"""Deleting notification log rows that no delivery can need any more."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from worker_service.notifications.models import Notification


def notifications_purge(*, older_than_days: int | None = None) -> int:
    """Delete rows created more than ``older_than_days`` (default: setting) ago."""
    days = settings.NOTIFICATIONS_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    # A daily run deletes one day of rows: one statement is short enough.
    deleted, _ = Notification.objects.filter(created_at__lt=cutoff).delete()
    return deleted
