"""Models that exist only to exercise the chassis in tests."""

from __future__ import annotations

from django.db import models

from chassis.crypto.fields import BlindIndexField, EncryptedTextField
from chassis.models import BaseModel


class Contact(BaseModel):
    """A row with PII, as a service would hold it."""

    name = models.CharField(max_length=100)
    phone = EncryptedTextField(null=True, blank=True)
    phone_index = BlindIndexField(source="phone", purpose="tests.phone")
    note = EncryptedTextField(null=True, blank=True)


class HandlerEffect(models.Model):
    """A row written by the test event handlers, so tests can count their effects."""

    event_id = models.UUIDField()
    handler = models.CharField(max_length=100)
    # The request id bound while the handler ran.
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.handler} {self.event_id}"
