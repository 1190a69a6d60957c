"""Model fields for PII: values sealed with AES-256-GCM, and their blind indexes.

``EncryptedTextField`` seals on save, bound to its table, column and row, and opens on
first read of the attribute. Nothing else can write it: ``QuerySet.update()`` or a filter
on the column raises, because either would put plaintext in SQL. Exact-match lookups go
through a ``BlindIndexField`` computed from the same attribute on save.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from chassis.crypto.aead import seal, unseal
from chassis.crypto.blind_index import blind_index


class Sealed(str):
    """A value as stored: sealed, not opened. Never plaintext."""

    __slots__ = ()


class _OpenOnRead(DeferredAttribute):
    """Opens the sealed value on first read and keeps the plaintext on the instance.

    A data descriptor (it has ``__set__``), so reads always pass through ``__get__``
    instead of going straight to the instance's ``__dict__``.
    """

    field: EncryptedTextField

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            value = unseal(value, associated_data=self.field.associated_data(instance))
            instance.__dict__[self.field.attname] = value
        return value


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    descriptor_class = _OpenOnRead

    def associated_data(self, instance: models.Model) -> bytes:
        if instance.pk is None:
            raise ValueError("Encrypted fields need the row's primary key before saving.")
        return f"{instance._meta.db_table}.{self.column}.{instance.pk}".encode()

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Sealed | None:
        return None if value is None else Sealed(value)

    def pre_save(self, model_instance: models.Model, add: bool) -> Sealed | None:
        plaintext = getattr(model_instance, self.attname)
        if plaintext is None:
            return None
        return Sealed(seal(str(plaintext), associated_data=self.associated_data(model_instance)))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Sealed):
            return None if value is None else str(value)
        raise TypeError(
            f"{self.name} is encrypted: set it on the instance and save(); "
            "look it up through its blind index."
        )


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """The keyed HMAC of another (plaintext) attribute, kept up to date on save."""

    def __init__(self, *args: Any, source: str, purpose: str, **kwargs: Any) -> None:
        self.source = source
        self.purpose = purpose
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("null", True)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.update({"source": self.source, "purpose": self.purpose})
        return name, path, args, kwargs

    def index_of(self, value: str) -> str:
        """The index of a (normalised) plaintext, for ``filter(<field>=...)``."""
        return blind_index(value, purpose=self.purpose)

    def pre_save(self, model_instance: models.Model, add: bool) -> str | None:
        plaintext = getattr(model_instance, self.source)
        value = None if plaintext is None else self.index_of(str(plaintext))
        setattr(model_instance, self.attname, value)
        return value
