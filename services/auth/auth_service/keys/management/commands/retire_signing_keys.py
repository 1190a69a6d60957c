"""``python manage.py retire_signing_keys``: drop retiring keys from the JWKS.

A retiring key leaves once every token it signed has expired (access-token lifetime plus
the verifiers' leeway after it stopped signing); its private half is erased. Run it
periodically, or by hand some time after ``rotate_signing_key``. ``--immediately`` is for
a leaked key: rotate first, then retire at once (its tokens stop verifying).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from auth_service.keys.services import signing_keys_retire


class Command(BaseCommand):
    help = "Retire the signing keys whose tokens can no longer be valid."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--immediately",
            action="store_true",
            help="Retire every retiring key now, even if tokens it signed are still valid.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        retired = signing_keys_retire(immediately=options["immediately"])
        for key in retired:
            self.stdout.write(f"Retired signing key: {key.kid}")
        if not retired:
            self.stdout.write("No signing key to retire.")
