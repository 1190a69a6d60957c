"""The settings ``chassis.events`` reads (defaults live in ``chassis.settings``).

Read at call time, not import time, so tests may override them.
"""

from __future__ import annotations

from django.conf import settings

# Consumer task name: every service registers it (each includes chassis.events), so a
# producer sends by name and never imports consumer code.
CONSUME_TASK = "strata.events.consume"
RELAY_PENDING_TASK = "strata.events.relay_pending"
PURGE_DELIVERED_TASK = "strata.events.purge_delivered"
PURGE_PROCESSED_TASK = "strata.events.purge_processed"


def service() -> str:
    """This service's name: the producer of its events and the queue it consumes."""
    return str(settings.STRATA_SERVICE)


def routes() -> dict[str, list[str]]:
    """``EVENT_ROUTES``: event type -> the services that consume it."""
    return dict(settings.EVENT_ROUTES)


def max_retries() -> int:
    """``EVENTS_MAX_RETRIES``: retries of a failing handler before it is dead-lettered."""
    return int(settings.EVENTS_MAX_RETRIES)


def retry_backoff() -> float:
    """``EVENTS_RETRY_BACKOFF``: seconds before the first retry; doubled for each next one."""
    return float(settings.EVENTS_RETRY_BACKOFF)


def retry_backoff_max() -> float:
    """``EVENTS_RETRY_BACKOFF_MAX``: the longest wait between two retries, in seconds."""
    return float(settings.EVENTS_RETRY_BACKOFF_MAX)


def relay_batch_size() -> int:
    """``EVENTS_RELAY_BATCH_SIZE``: outbox rows locked and sent per sweep transaction."""
    return int(settings.EVENTS_RELAY_BATCH_SIZE)


def outbox_retention_days() -> int:
    """``EVENTS_OUTBOX_RETENTION_DAYS``: how long delivered outbox rows are kept."""
    return int(settings.EVENTS_OUTBOX_RETENTION_DAYS)


def inbox_retention_days() -> int:
    """``EVENTS_INBOX_RETENTION_DAYS``: how long processed-event ids are kept.

    Longer than any redelivery can come (visibility timeout, retries, replays): after it, a
    duplicate would run its handlers again.
    """
    return int(settings.EVENTS_INBOX_RETENTION_DAYS)
