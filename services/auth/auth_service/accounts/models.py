"""Credentials, refresh sessions and password-reset tokens.

Secrets are never stored: a password as its Argon2id hash, a refresh or reset token as
the SHA-256 of its 256 random bits (a fast hash is enough for a value nobody can guess).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from chassis.models import BaseModel


class Credential(BaseModel):
    """How a user proves who they are. ``id`` is the user's id everywhere (users, ``sub``)."""

    # Normalised (trimmed, lower case); unique case-insensitively.
    email = models.EmailField(max_length=254, db_index=True)
    # The display name, kept for the notifications auth's events carry; refreshed from the
    # users service at every login.
    name = models.CharField(max_length=150)
    password_hash = models.CharField(max_length=256)
    password_changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="credential_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"credential {self.id}"


class RefreshSession(BaseModel):
    """One refresh token of a login session.

    Every rotation adds a row to the same ``family`` (the login session), pointing at its
    ``parent``; the rotated row keeps ``rotated_at`` so that presenting it again is
    recognised as reuse.
    """

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="sessions")
    family_id = models.UUIDField()
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # For the audit trail: where the session was started or refreshed from.
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["family_id"], name="refresh_session_family"),
            models.Index(
                fields=["credential"],
                condition=Q(revoked_at__isnull=True),
                name="refresh_session_live",
            ),
            models.Index(fields=["expires_at"], name="refresh_session_expiry"),
        ]

    def __str__(self) -> str:
        return f"refresh session {self.id} of family {self.family_id}"


class PasswordResetToken(BaseModel):
    """A single-use token from a password-reset email."""

    credential = models.ForeignKey(
        Credential, on_delete=models.CASCADE, related_name="reset_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"password reset token {self.id}"
