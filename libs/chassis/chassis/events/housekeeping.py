"""Deleting outbox and inbox rows that have served their purpose."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Model, QuerySet
from django.utils import timezone

from chassis.events import conf
from chassis.events.models import OutboxEvent, ProcessedEvent

_DELETE_BATCH = 5000


def purge_delivered(*, older_than_days: int | None = None) -> int:
    """Delete outbox rows delivered more than ``older_than_days`` (default: setting) ago."""
    days = conf.outbox_retention_days() if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    return _delete_in_batches(OutboxEvent.objects.filter(delivered_at__lt=cutoff))


def purge_processed(*, older_than_days: int | None = None) -> int:
    """Delete inbox rows processed more than ``older_than_days`` (default: setting) ago."""
    days = conf.inbox_retention_days() if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    return _delete_in_batches(ProcessedEvent.objects.filter(processed_at__lt=cutoff))


def _delete_in_batches(rows: QuerySet[Model]) -> int:
    # Short transactions: one huge DELETE would hold its locks and bloat the WAL at once.
    total = 0
    while True:
        batch = list(rows.values_list("pk", flat=True)[:_DELETE_BATCH])
        if not batch:
            return total
        deleted, _ = rows.model._default_manager.filter(pk__in=batch).delete()
        total += deleted
