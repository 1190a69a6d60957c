"""Argon2id with the parameters from settings (OWASP's minimum or stronger in production)."""

from __future__ import annotations

import argon2
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class StrataArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's Argon2id hasher, its cost read from ``ARGON2_*`` settings at each use.

    Same ``argon2`` algorithm name and encoding as Django's, so a hash made with other
    parameters still verifies and is re-hashed with the current ones at the next login.
    """

    def params(self) -> argon2.Parameters:
        return argon2.Parameters(
            type=argon2.low_level.Type.ID,
            version=argon2.low_level.ARGON2_VERSION,
            salt_len=argon2.DEFAULT_RANDOM_SALT_LENGTH,
            hash_len=argon2.DEFAULT_HASH_LENGTH,
            time_cost=settings.ARGON2_TIME_COST,
            memory_cost=settings.ARGON2_MEMORY_KIB,
            parallelism=settings.ARGON2_PARALLELISM,
        )
