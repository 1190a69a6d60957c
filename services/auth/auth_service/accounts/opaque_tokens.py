"""Opaque bearer secrets (refresh and password-reset tokens) and how they are stored."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 random bits


def new_opaque_token() -> tuple[str, str]:
    """A fresh token for the client and the digest to store in its place."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, digest_of(token)


def digest_of(token: str) -> str:
    """SHA-256, hex. A slow hash buys nothing for 256 random bits; the lookup stays exact."""
    return hashlib.sha256(token.encode()).hexdigest()
