"""What the users service does with other services' events."""

from __future__ import annotations

import uuid

from chassis.events import Envelope, subscribe
from users_service.profiles.services import profile_complete_registration


@subscribe("auth.user_registered")
def complete_registration(envelope: Envelope) -> None:
    """Auth committed the credential: keep the profile out of the reconciliation."""
    payload = envelope["payload"]
    profile_complete_registration(
        profile_id=uuid.UUID(payload["user_id"]), email=payload["email"], name=payload["name"]
    )
