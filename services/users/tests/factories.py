"""Profiles made through the service functions, as the API and gRPC make them."""

from __future__ import annotations

import itertools
import uuid

from chassis.auth.roles import Role
from users_service.profiles.models import Profile
from users_service.profiles.services import profile_create

_numbers = itertools.count(1)


def make_profile(
    *,
    role: Role | str = Role.USER,
    profile_id: uuid.UUID | None = None,
    name: str | None = None,
    phone: str | None = "+14155550123",
    email: str | None = None,
) -> Profile:
    n = next(_numbers)
    profile, _ = profile_create(
        profile_id=profile_id or uuid.uuid4(),
        email=email or f"user{n}@example.com",
        name=name or f"User {n}",
        phone=phone,
        role=Role(role),
    )
    return profile
