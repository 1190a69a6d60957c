"""The keys that sign access tokens."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from chassis.crypto.fields import EncryptedTextField
from chassis.models import BaseModel


class SigningKey(BaseModel):
    """An asymmetric key pair; the private half sealed at rest, the public half as a JWK.

    Life cycle: ``active`` (signs new tokens; exactly one at a time) → ``retiring`` (signs
    nothing, still in the JWKS so its tokens verify until they expire) → ``retired`` (out
    of the JWKS; its private key erased).
    """

    class Status(models.TextChoices):
        ACTIVE = "active"
        RETIRING = "retiring"
        RETIRED = "retired"

    kid = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=8)
    # PKCS#8 PEM, sealed with AES-256-GCM (chassis.crypto); None once retired.
    private_key = EncryptedTextField(null=True, blank=True)
    public_jwk = models.JSONField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    activated_at = models.DateTimeField()
    retiring_since = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="one_active_signing_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.algorithm} key {self.kid} ({self.status})"
