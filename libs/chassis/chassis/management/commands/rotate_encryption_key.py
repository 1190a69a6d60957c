"""``manage.py rotate_encryption_key``: re-seal every encrypted field under the active key.

Operators add the new key to ``FIELD_ENCRYPTION_KEYS``, make it
``FIELD_ENCRYPTION_ACTIVE_KEY``, roll the service out, run this, and only then remove the
old key from the ring.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chassis.crypto.keys import keyring
from chassis.crypto.rotation import rotate_all


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with FIELD_ENCRYPTION_ACTIVE_KEY, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        self.stdout.write(f"Active key: {keyring().active_kid}")
        for report in rotate_all(batch_size=batch_size):
            self.stdout.write(
                f"{report.model}: {report.rows_rotated} of {report.rows_seen} rows re-encrypted"
            )
