"""Read-only admin views of the outbox, the inbox and the dead letters.

Rows are written by the event machinery only; replaying a dead letter is
:func:`chassis.events.replay_dead_letter` (its admin action and command come later).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from chassis.events.models import DeadLetter, OutboxEvent, ProcessedEvent

if TYPE_CHECKING:  # generic in django-stubs only; not subscriptable at run time
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = admin.ModelAdmin


class ReadOnlyAdmin(_ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = (
        "position",
        "event_type",
        "aggregate_id",
        "created_at",
        "delivered_at",
        "attempts",
    )
    list_filter = ("event_type", ("delivered_at", admin.EmptyFieldListFilter))
    search_fields = ("=id", "=aggregate_id", "=request_id")
    ordering = ("-position",)
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting a large outbox on every page view is slow


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "event_type", "handler", "processed_at")
    list_filter = ("event_type", "handler")
    search_fields = ("=event_id",)
    ordering = ("-processed_at",)
    show_full_result_count = False


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "event_type", "handler", "attempts", "created_at", "replayed_at")
    list_filter = ("event_type", "handler", ("replayed_at", admin.EmptyFieldListFilter))
    search_fields = ("=event_id",)
    ordering = ("-created_at",)
