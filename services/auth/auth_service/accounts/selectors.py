"""Reads of credentials, sessions and reset tokens."""

from __future__ import annotations

import uuid

from auth_service.accounts.models import Credential, PasswordResetToken, RefreshSession
from auth_service.accounts.opaque_tokens import digest_of


def credential_by_email(*, email: str) -> Credential | None:
    """The credential of a normalised address, if any."""
    return Credential.objects.filter(email=email).first()


def credential_find(*, user_id: uuid.UUID | str) -> Credential | None:
    return Credential.objects.filter(pk=user_id).first()


def refresh_session_by_token(*, token: str) -> RefreshSession | None:
    sessions = RefreshSession.objects.select_related("credential")
    return sessions.filter(token_hash=digest_of(token)).first()


def reset_token_by_token(*, token: str) -> PasswordResetToken | None:
    resets = PasswordResetToken.objects.select_related("credential")
    return resets.filter(token_hash=digest_of(token)).first()
