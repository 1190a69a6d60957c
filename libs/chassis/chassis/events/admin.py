"""Read-only admin views of the outbox, the inbox and the dead letters.

Rows are written by the event machinery only. The one thing a person does here is replay
dead letters (the action below, or ``manage.py dead_letters``), which takes the change
permission on dead letters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from chassis.errors import Conflict
from chassis.events.dead_letters import replay_dead_letter
from chassis.events.models import DeadLetter, OutboxEvent, ProcessedEvent

logger = structlog.get_logger(__name__)

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
    actions = ["replay"]

    def has_replay_permission(self, request: HttpRequest) -> bool:
        # The model permission itself: this admin refuses every edit of a row.
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    @admin.action(
        description="Replay the selected dead letters to their handler", permissions=["replay"]
    )
    def replay(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        replayed, already, failed = 0, 0, 0
        for letter_id in queryset.values_list("id", flat=True):
            try:
                replay_dead_letter(dead_letter_id=letter_id)
            except Conflict:
                already += 1
            except Exception:  # the broker is down: say so, keep the letter as it was
                logger.exception("dead_letter_replay_failed", dead_letter_id=str(letter_id))
                failed += 1
            else:
                replayed += 1
        self.message_user(request, f"{replayed} dead letter(s) replayed.", messages.SUCCESS)
        if already:
            self.message_user(
                request,
                f"{already} had been replayed already (use manage.py dead_letters replay "
                "--force to send one again).",
                messages.WARNING,
            )
        if failed:
            self.message_user(request, f"{failed} could not be sent; see the logs.", messages.ERROR)
