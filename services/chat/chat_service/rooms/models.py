from __future__ import annotations

from django.core.validators import MaxLengthValidator, MinLengthValidator, RegexValidator
from django.db import models

from chassis.models import BaseModel

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
MESSAGE_BODY_MAX = 4000
CLIENT_ID_MAX = 64


class Room(BaseModel):
    slug = models.CharField(
        max_length=63,
        unique=True,
        validators=[RegexValidator(SLUG_PATTERN, "Use 2-63 lowercase letters, digits and '-'.")],
    )
    name = models.CharField(max_length=120)
    is_private = models.BooleanField(default=False)
    # A user id from auth/users; no foreign key crosses a service boundary.
    owner_id = models.UUIDField()

    class Meta:
        indexes = [models.Index(fields=["-created_at", "-id"], name="room_newest_first")]

    def __str__(self) -> str:
        return self.slug


class Membership(BaseModel):
    class Role(models.TextChoices):
        OWNER = "owner"
        MEMBER = "member"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user_id = models.UUIDField()
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user_id"], name="membership_once_per_room")
        ]
        # "Which rooms is this user in" (the room list) reads by user.
        indexes = [models.Index(fields=["user_id"], name="membership_by_user")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id} ({self.role})"


class Message(BaseModel):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    sender_id = models.UUIDField()
    # A TextField's max_length is not validated by the model: the validator is.
    body = models.TextField(
        validators=[MinLengthValidator(1), MaxLengthValidator(MESSAGE_BODY_MAX)]
    )
    # The sender's own id for the message: a resend after a lost acknowledgement finds the
    # stored message instead of storing it twice. NULL, not "", when absent: the unique
    # constraint below applies to given ids only.
    client_id = models.CharField(max_length=CLIENT_ID_MAX, null=True, blank=True)  # noqa: DJ001
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room", "sender_id", "client_id"],
                condition=models.Q(client_id__isnull=False),
                name="message_client_id_once",
            )
        ]
        indexes = [
            # History pages: one room, newest first, live messages only (the cursor's order).
            models.Index(
                "room",
                models.F("created_at").desc(),
                models.F("id").desc(),
                condition=models.Q(deleted_at__isnull=True),
                name="message_room_newest_first",
            )
        ]

    def __str__(self) -> str:
        return f"{self.id} in {self.room_id}"
