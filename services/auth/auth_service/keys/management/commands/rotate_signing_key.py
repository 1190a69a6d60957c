"""``python manage.py rotate_signing_key``: sign new access tokens with a new key.

The previous key turns ``retiring``: it signs nothing more but stays in the JWKS, so the
tokens it signed keep verifying until they expire. ``retire_signing_keys`` later takes
it out.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from auth_service.keys.services import signing_key_rotate


class Command(BaseCommand):
    help = "Create a new active signing key; the current one starts retiring."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--algorithm",
            choices=["ES256", "RS256", "EdDSA"],
            help="Algorithm of the new key (default: AUTH_SIGNING_ALGORITHM).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        key = signing_key_rotate(algorithm=options["algorithm"])
        self.stdout.write(f"Active signing key: {key.kid} ({key.algorithm})")
