"""What auth does when the users service changes a user: end their sessions.

Users also writes the revocation marker itself when it commits; auth revokes the refresh
sessions (which only it holds), renews the marker and tells chat through
``auth.sessions_revoked``.
"""

from __future__ import annotations

import uuid

from auth_service.accounts.services import RevocationReason, sessions_revoke_all
from chassis.events import Envelope, subscribe


@subscribe("users.user_deactivated")
def revoke_sessions_of_deactivated_user(envelope: Envelope) -> None:
    sessions_revoke_all(
        user_id=uuid.UUID(envelope["payload"]["user_id"]), reason=RevocationReason.USER_DEACTIVATED
    )


@subscribe("users.role_changed")
def revoke_sessions_after_role_change(envelope: Envelope) -> None:
    # Tokens carry the role: the user signs in again and gets one with the new role.
    sessions_revoke_all(
        user_id=uuid.UUID(envelope["payload"]["user_id"]), reason=RevocationReason.ROLE_CHANGED
    )
