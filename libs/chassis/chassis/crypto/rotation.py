"""Re-encrypt every sealed value under the active key, in batches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction

from chassis.crypto.aead import key_id_of
from chassis.crypto.fields import EncryptedTextField, Sealed
from chassis.crypto.keys import keyring


@dataclass(frozen=True)
class RotationReport:
    model: str
    rows_seen: int
    rows_rotated: int


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def _pk_batches(model: type[models.Model], batch_size: int) -> Iterator[list[object]]:
    last = None
    while True:
        query = model._default_manager.order_by("pk")
        if last is not None:
            query = query.filter(pk__gt=last)
        batch = list(query.values_list("pk", flat=True)[:batch_size])
        if not batch:
            return
        yield batch
        last = batch[-1]


def rotate_model(model: type[models.Model], *, batch_size: int = 500) -> RotationReport:
    """Re-seal the values of ``model`` not sealed with the active key.

    Each batch is one transaction holding its rows' locks, so a concurrent writer waits
    rather than loses its update. ``updated_at`` is left alone: the data did not change.
    """
    fields = encrypted_fields(model)
    active = keyring().active_kid
    seen = rotated = 0
    for pks in _pk_batches(model, batch_size):
        with transaction.atomic():
            for row in model._default_manager.select_for_update().filter(pk__in=pks):
                seen += 1
                stale = [
                    field
                    for field in fields
                    if isinstance(raw := row.__dict__.get(field.attname), Sealed)
                    and key_id_of(raw) != active
                ]
                if stale:
                    for field in stale:
                        getattr(row, field.attname)  # open with the old key before re-sealing
                    row.save(update_fields=[field.name for field in stale])
                    rotated += 1
    return RotationReport(model=model._meta.label, rows_seen=seen, rows_rotated=rotated)


def rotate_all(*, batch_size: int = 500) -> list[RotationReport]:
    """Rotate every model of every installed app that has an encrypted field."""
    return [
        rotate_model(model, batch_size=batch_size)
        for model in apps.get_models()
        if encrypted_fields(model)
    ]
