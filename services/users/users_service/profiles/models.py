from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from chassis.auth.roles import Role
from chassis.crypto.fields import BlindIndexField, EncryptedTextField
from chassis.models import BaseModel

PHONE_INDEX_PURPOSE = "users.phone"


class Profile(BaseModel):
    """A user as the users service knows them. The id is the one auth chose."""

    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=150)
    # E.164, sealed with AES-256-GCM; exact lookups go through phone_index.
    phone = EncryptedTextField(null=True, blank=True)
    phone_index = BlindIndexField(source="phone", purpose=PHONE_INDEX_PURPOSE)
    role = models.CharField(
        max_length=16, choices=[(role.value, role.value) for role in Role], default=Role.USER
    )
    is_active = models.BooleanField(default=True)
    # Set when auth's auth.user_registered arrives: auth has stored the credential. A
    # profile still without it an hour after creation is the leftover of a registration
    # that failed after CreateUser, and the reconciliation deletes it.
    registration_completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="profile_email_ci_unique"),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="profile_newest_first"),
            models.Index(fields=["role", "is_active"], name="profile_role_active"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(registration_completed_at__isnull=True),
                name="profile_registration_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.id}>"
