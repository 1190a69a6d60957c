"""``peer_seed --users N --out tokens.json``: users with profiles, and an access token each."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework_simplejwt.tokens import AccessToken

from bench.baselines.drf_peer.models import Profile


class Command(BaseCommand):
    help = "Create the peer's benchmark users (idempotent) and write one access token each."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--users", type=int, default=50)
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        tokens = []
        with transaction.atomic():
            for index in range(options["users"]):
                user, _ = user_model.objects.get_or_create(
                    username=f"bench-{index:04d}",
                    defaults={"email": f"bench-{index:04d}@example.com"},
                )
                Profile.objects.get_or_create(
                    user=user,
                    defaults={"name": f"Bench User {index}", "phone": f"+1555010{index:04d}"},
                )
                tokens.append(str(AccessToken.for_user(user)))
        options["out"].write_text(json.dumps(tokens))
