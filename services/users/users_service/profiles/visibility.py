"""Who sees which part of a profile."""

from __future__ import annotations

import uuid

from chassis.auth.roles import Role
from users_service.profiles.models import Profile
from users_service.profiles.phones import mask_phone


def visible_phone(*, profile: Profile, viewer_id: uuid.UUID, viewer_role: Role) -> str | None:
    """The phone as the viewer may see it: whole for the user and admins, masked for
    moderators. Nobody else is shown another user's profile at all."""
    phone: str | None = profile.phone
    if phone is None or profile.id == viewer_id or viewer_role == Role.ADMIN:
        return phone
    return mask_phone(phone)
