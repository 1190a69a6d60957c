"""The notification log in the Django admin: read-only, written by deliveries only."""

from __future__ import annotations

from django.contrib import admin

from chassis.events.admin import ReadOnlyAdmin
from worker_service.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "status", "attempts", "user_id", "event_id", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("=event_id", "=user_id")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    show_full_result_count = False
