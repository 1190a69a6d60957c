"""Verification of access tokens issued by auth."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache

import jwt
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from chassis.auth.revocation import is_revoked
from chassis.auth.roles import Role

# Asymmetric algorithms only: a token whose header names anything else (HS256 made with
# the public key, "none") is refused before any key is looked at.
ALLOWED_ALGORITHMS = ("RS256", "ES256", "EdDSA")
REQUIRED_CLAIMS = ["iss", "aud", "sub", "role", "iat", "exp", "jti"]

# Verified tokens, by their exact text: a client sends the same token for its whole
# lifetime, and the ES256 check was the largest cost of an authenticated read after the
# database. An entry lives a minute at most, never past the token's expiry: a key taken
# out of the JWKS stops its tokens at most that much later than the JWKS cache alone
# would. Revocation markers are checked on every call regardless.
VERIFIED_CACHE_SECONDS = 60.0
_MAX_VERIFIED = 10_000
_verified: dict[str, tuple[float, AccessClaims]] = {}
_verified_lock = threading.Lock()


class TokenError(Exception):
    """An access token that must be refused; ``code`` is the problem code to answer."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    role: Role
    issued_at: float
    expires_at: float
    token_id: str


@lru_cache(maxsize=1)
def jwks_client() -> jwt.PyJWKClient:
    # PyJWT caches the key set and refetches it on an unknown kid at most once per
    # cooldown, so a flood of forged kids cannot turn into a flood of fetches.
    return jwt.PyJWKClient(
        settings.AUTH_JWKS_URL,
        cache_jwk_set=True,
        lifespan=settings.AUTH_JWKS_CACHE_SECONDS,
        cooldown_duration=settings.AUTH_JWKS_REFETCH_COOLDOWN_SECONDS,
        timeout=2,
    )


@receiver(setting_changed)
def _forget_cached_keys(*, setting: str, **kwargs: object) -> None:
    if setting.startswith(("AUTH_JWKS", "JWT_")):
        jwks_client.cache_clear()
        forget_verified_tokens()


def forget_verified_tokens() -> None:
    """Drop the process's verified tokens (tests, and after the signing keys change)."""
    with _verified_lock:
        _verified.clear()


def _signing_key(token: str) -> jwt.PyJWK:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise TokenError("invalid_token", "The token is malformed.") from exc
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise TokenError("invalid_token", "The token's algorithm is not accepted.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenError("invalid_token", "The token names no signing key.")
    try:
        key = jwks_client().get_signing_key(kid)
    except jwt.PyJWKClientConnectionError as exc:
        raise TokenError("invalid_token", "The signing keys are unavailable.") from exc
    except jwt.PyJWKClientError as exc:
        raise TokenError("invalid_token", "The token's signing key is unknown.") from exc
    if key.algorithm_name != header["alg"]:
        raise TokenError("invalid_token", "The token's algorithm does not match its key.")
    return key


def verify_access_token(token: str) -> AccessClaims:
    """Verify signature, algorithm, issuer, audience, lifetime and revocation.

    Raises :class:`TokenError` with code ``token_expired``, ``token_revoked`` or
    ``invalid_token``.
    """
    now = time.time()
    cached = _verified.get(token)
    if cached is not None and now < cached[0]:
        claims = cached[1]
    else:
        claims = _verify_signed(token)
        keep_until = min(now + VERIFIED_CACHE_SECONDS, claims.expires_at)
        with _verified_lock:
            if len(_verified) >= _MAX_VERIFIED:
                _verified.clear()  # bounded: a burst of new tokens costs one check each
            _verified[token] = (keep_until, claims)
    if is_revoked(user_id=str(claims.user_id), issued_at=claims.issued_at):
        raise TokenError("token_revoked", "The access token has been revoked.")
    return claims


def _verify_signed(token: str) -> AccessClaims:
    key = _signing_key(token)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[key.algorithm_name],
            audience=settings.JWT_AUDIENCE,
            issuer=settings.JWT_ISSUER,
            options={"require": REQUIRED_CLAIMS},
            leeway=settings.JWT_LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token_expired", "The access token has expired.") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError("invalid_token", "The access token is not valid.") from exc
    try:
        user_id = uuid.UUID(str(claims["sub"]))
        role = Role(claims["role"])
    except ValueError as exc:
        raise TokenError("invalid_token", "The access token's claims are not valid.") from exc
    return AccessClaims(
        user_id=user_id,
        role=role,
        issued_at=float(claims["iat"]),
        expires_at=float(claims["exp"]),
        token_id=str(claims["jti"]),
    )
