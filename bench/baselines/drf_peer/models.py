from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """The one-to-one profile most projects hang off ``auth.User``."""

    user: models.OneToOneField[Any, Any] = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    name: models.CharField[str, str] = models.CharField(max_length=150)
    phone: models.CharField[str, str] = models.CharField(max_length=32, blank=True, default="")
    role: models.CharField[str, str] = models.CharField(max_length=16, default="user")
    created_at: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)
    updated_at: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name
