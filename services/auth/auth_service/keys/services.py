"""Signing keys' life cycle (first key, rotation, retirement) and signing access tokens."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from auth_service.keys.material import (
    SigningPrivateKey,
    algorithm_of,
    generate_private_key,
    load_private_pem,
    private_pem,
    public_jwk,
    thumbprint,
)
from auth_service.keys.models import SigningKey
from auth_service.keys.selectors import signing_key_active
from chassis.auth.roles import Role

logger = structlog.get_logger(__name__)

# Opened private keys by kid: unsealing and parsing a PEM at every login would be waste.
_opened: dict[str, SigningPrivateKey] = {}
_opened_lock = threading.Lock()

# The key that signs, remembered for a few seconds: one query less on every login and
# refresh. Another process's rotation reaches this one within that time; the retiring key
# stays published that much longer (retirement_grace), so what it signed meanwhile verifies.
SIGNING_KEY_CACHE_SECONDS = 5.0
_signing: tuple[float, SigningKey] | None = None


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int
    claims: dict[str, Any]
    kid: str


def _key_row(private_key: SigningPrivateKey) -> SigningKey:
    jwk = public_jwk(private_key)
    key = SigningKey(
        kid=thumbprint(jwk),
        algorithm=algorithm_of(private_key),
        private_key=private_pem(private_key),
        public_jwk=jwk,
        status=SigningKey.Status.ACTIVE,
        activated_at=timezone.now(),
    )
    key.full_clean(validate_unique=False, validate_constraints=False)
    key.save(force_insert=True)
    return key


def _first_private_key() -> SigningPrivateKey:
    """The operator's key (AUTH_SIGNING_KEY_PEM) unless it was used before; a new one otherwise."""
    if settings.SIGNING_KEY_PEM:
        imported = load_private_pem(settings.SIGNING_KEY_PEM)
        if not SigningKey.objects.filter(kid=thumbprint(public_jwk(imported))).exists():
            return imported
        logger.warning("signing_key_pem_already_used")
    return generate_private_key(settings.SIGNING_ALGORITHM)


def signing_key_current() -> SigningKey:
    """The active signing key, made on first use when there is none.

    Processes racing to make the first key are serialised by the database: at most one
    active key can exist (a partial unique index), so the losers' inserts fail and they
    use the winner's key.
    """
    key = signing_key_active()
    if key is not None:
        return key
    candidate = _first_private_key()
    try:
        with transaction.atomic():
            key = _key_row(candidate)
    except IntegrityError:
        key = signing_key_active()
        if key is None:
            raise
        return key
    logger.info("signing_key_created", kid=key.kid, algorithm=key.algorithm)
    return key


def _signing_key() -> SigningKey:
    global _signing
    cached = _signing
    if cached is not None and time.monotonic() < cached[0]:
        return cached[1]
    key = signing_key_current()
    _signing = (time.monotonic() + SIGNING_KEY_CACHE_SECONDS, key)
    return key


def forget_signing_key() -> None:
    """Look the active key up again at the next signature (after a rotation, in tests)."""
    global _signing
    _signing = None


@transaction.atomic
def signing_key_rotate(*, algorithm: str | None = None) -> SigningKey:
    """Make a new active key; the previous one retires, staying in the JWKS meanwhile."""
    now = timezone.now()
    for previous in SigningKey.objects.select_for_update().filter(status=SigningKey.Status.ACTIVE):
        previous.status = SigningKey.Status.RETIRING
        previous.retiring_since = now
        previous.save(update_fields=["status", "retiring_since", "updated_at"])
    key = _key_row(generate_private_key(algorithm or settings.SIGNING_ALGORITHM))
    forget_signing_key()  # this process signs with the new key at once
    logger.info("signing_key_rotated", kid=key.kid, algorithm=key.algorithm)
    return key


def retirement_grace() -> timedelta:
    """How long a retiring key stays published: the last token it signed must expire first."""
    return timedelta(
        seconds=settings.ACCESS_TOKEN_TTL_SECONDS
        + settings.JWT_LEEWAY_SECONDS
        + SIGNING_KEY_CACHE_SECONDS
    )


@transaction.atomic
def signing_keys_retire(*, immediately: bool = False) -> list[SigningKey]:
    """Take retiring keys out of the JWKS once their tokens have expired, and erase them.

    ``immediately`` retires every retiring key now (a leaked key: its tokens stop
    verifying at once; rotate first so that a fresh key is active).
    """
    now = timezone.now()
    keys = SigningKey.objects.select_for_update().filter(status=SigningKey.Status.RETIRING)
    if not immediately:
        keys = keys.filter(retiring_since__lte=now - retirement_grace())
    retired = []
    for key in keys:
        key.status = SigningKey.Status.RETIRED
        key.retired_at = now
        key.private_key = None  # no use left for it
        key.save(update_fields=["status", "retired_at", "private_key", "updated_at"])
        retired.append(key)
        logger.info("signing_key_retired", kid=key.kid)
    forget_signing_key()  # this process signs with the new key at once
    return retired


def _opened_key(key: SigningKey) -> SigningPrivateKey:
    with _opened_lock:
        opened = _opened.get(key.kid)
    if opened is None:
        if key.private_key is None:
            raise RuntimeError(f"Signing key {key.kid} has no private key.")
        opened = load_private_pem(key.private_key)
        with _opened_lock:
            _opened[key.kid] = opened
    return opened


def access_token_issue(*, user_id: uuid.UUID, role: Role) -> AccessToken:
    """Sign an access token for the user with the active key.

    ``iat`` keeps its fraction of a second (a NumericDate may), so comparing it with a
    revocation marker (``iat < revoked_before``) is exact: a token issued just after a
    revocation is never taken for one issued before it.
    """
    key = _signing_key()
    issued_at = time.time()
    lifetime = int(settings.ACCESS_TOKEN_TTL_SECONDS)
    claims = {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": str(user_id),
        "role": role.value,
        "iat": issued_at,
        "exp": int(issued_at) + lifetime,
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, _opened_key(key), algorithm=key.algorithm, headers={"kid": key.kid})
    return AccessToken(token=token, expires_in=lifetime, claims=claims, kid=key.kid)
