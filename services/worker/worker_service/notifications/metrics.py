"""Notification metrics, beside the chassis's event and Celery counters."""

from __future__ import annotations

from prometheus_client import Counter

NOTIFICATIONS = Counter(
    "strata_notifications_total",
    "Notification attempts by kind and outcome: sent, failed (to be retried), uncertain "
    "(interrupted where it may have gone out; never retried), interrupted (such a send "
    "found by a later delivery), skipped, duplicate (settled already).",
    ["kind", "outcome"],
)
