"""The outbox (events to send), the inbox (events handled) and the dead letters.

The tables land in each service's own schema: every service migrates this app with its
schema first in ``search_path``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from chassis.models import BaseModel

OUTBOX_POSITION_SEQUENCE = "strata_events_outbox_position_seq"


class NextVal(models.Func):
    """``nextval('<sequence>')``: a database-assigned counter for a column that is not the key."""

    function = "nextval"
    output_field = models.BigIntegerField()

    def __init__(self, sequence: str, **extra: Any) -> None:
        super().__init__(models.Value(sequence), **extra)


class OutboxEvent(BaseModel):
    """An event written in the producer's transaction, waiting to be (or already) relayed.

    ``id`` is the event id consumers deduplicate on. ``position`` orders the outbox: a
    sequence, because two rows of one transaction may share a timestamp and clocks step back.
    """

    position = models.BigIntegerField(db_default=NextVal(OUTBOX_POSITION_SEQUENCE), editable=False)
    event_type = models.CharField(max_length=100)
    # Events of one aggregate are relayed in the order they were published.
    aggregate_id = models.CharField(max_length=100, blank=True, default="")
    payload = models.JSONField(blank=True)  # {} is a valid payload
    request_id = models.CharField(max_length=128, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "outbox event"
        indexes = [
            # The sweep: undelivered rows, oldest first; stays small as rows are delivered.
            models.Index(
                fields=["position"],
                condition=Q(delivered_at__isnull=True),
                name="strata_outbox_pending_idx",
            ),
            # "Is an older row of this aggregate still waiting?"
            models.Index(
                fields=["aggregate_id", "position"],
                condition=Q(delivered_at__isnull=True) & ~Q(aggregate_id=""),
                name="strata_outbox_aggregate_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"


class ProcessedEvent(models.Model):
    """The inbox: one row per (event, handler) whose effects are committed."""

    event_id = models.UUIDField()
    handler = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100)
    processed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "processed event"
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "handler"], name="strata_inbox_event_handler_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} by {self.handler}"


class DeadLetter(BaseModel):
    """An event one handler kept failing on, kept whole so it can be replayed."""

    event_id = models.UUIDField(db_index=True)
    event_type = models.CharField(max_length=100)
    envelope = models.JSONField()
    handler = models.CharField(max_length=200)
    error = models.TextField()
    attempts = models.PositiveIntegerField()
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "dead letter"
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(replayed_at__isnull=True),
                name="strata_deadletter_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} in {self.handler}"
