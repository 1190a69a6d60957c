"""``python manage.py seed_dev_admin``: the dev stack's administrator, in auth and users.

Reads ``STRATA_DEV_ADMIN_EMAIL`` and ``STRATA_DEV_ADMIN_PASSWORD`` (settings
``DEV_ADMIN_EMAIL``/``DEV_ADMIN_PASSWORD``). Idempotent: a second run keeps the account
and sets the password again. The password rules are skipped on purpose, for this
development-only account whose documented default (``strata-dev-admin``) resembles its
own address. Refuses to run in production.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from auth_service.accounts.services import account_seed
from chassis.auth.roles import Role
from chassis.errors import StrataError
from chassis.settings import PRODUCTION

ADMIN_NAME = "Strata Admin"


class Command(BaseCommand):
    help = "Create or update the development administrator (never in production)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.STRATA_ENV == PRODUCTION:
            raise CommandError("seed_dev_admin is for development only; STRATA_ENV=production.")
        email, password = settings.DEV_ADMIN_EMAIL, settings.DEV_ADMIN_PASSWORD
        if not email or not password:
            raise CommandError("STRATA_DEV_ADMIN_EMAIL and STRATA_DEV_ADMIN_PASSWORD are required.")
        try:
            credential, created = account_seed(
                email=email, password=password, name=ADMIN_NAME, role=Role.ADMIN
            )
        except StrataError as exc:
            raise CommandError(f"Could not seed the dev admin: {exc.detail}") from exc
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} dev admin {credential.email} ({credential.id})")
