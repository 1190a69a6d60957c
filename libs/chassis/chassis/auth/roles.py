"""The platform's roles."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    USER = "user"
    MODERATOR = "moderator"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})
