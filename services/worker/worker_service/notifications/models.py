"""The notification log: one row per (causing event, kind of notification)."""

from __future__ import annotations

from django.db import models

from chassis.models import BaseModel


class Notification(BaseModel):
    """A notification an event caused, and how far its delivery got.

    The row is what makes a notification go out at most once: it is claimed (``sending``)
    and committed before the mail server or the channel layer is contacted, so no later
    delivery of the event sends it again, whatever happened to the one that claimed it.
    No address and no content are kept: the user id says who, the kind says what.
    """

    class Kind(models.TextChoices):
        WELCOME_EMAIL = "welcome_email", "welcome email"
        PASSWORD_RESET_EMAIL = "password_reset_email", "password reset email"
        SECURITY_NOTICE_EMAIL = "security_notice_email", "security notice email"
        SECURITY_NOTICE_PUSH = "security_notice_push", "security notice (in-app)"

    class Status(models.TextChoices):
        # Claimed; the send is under way, or the process died during it.
        SENDING = "sending"
        SENT = "sent"
        # Known not to have gone out (refused, unreachable): the next attempt sends it.
        FAILED = "failed"
        # A send was interrupted at a point where it may have gone out: never retried.
        UNCERTAIN = "uncertain"
        # Not sent on purpose (a reset link that expired before it could be sent).
        SKIPPED = "skipped"

    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    user_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    attempts = models.PositiveIntegerField(default=0)
    # The failure's type and the server's reply code, never a message that could hold PII.
    last_error = models.CharField(max_length=200, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event_id", "kind"], name="notification_event_kind"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="notification_created"),
            models.Index(
                fields=["status", "created_at"],
                condition=~models.Q(status="sent"),
                name="notification_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for event {self.event_id}: {self.status}"
