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
