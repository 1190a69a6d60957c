"""Business rules of accounts: registration, sessions, passwords and revocation."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import structlog
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from auth_service.accounts.addresses import normalise_email
from auth_service.accounts.directory import (
    DirectoryUser,
    PendingUser,
    directory_user_create,
    directory_user_get,
)
from auth_service.accounts.lockout import (
    lockout_clear,
    lockout_record_failure,
    lockout_status,
)
from auth_service.accounts.metrics import LOGINS, REFRESH_REUSE_DETECTED, TOKENS_ISSUED
from auth_service.accounts.models import Credential, PasswordResetToken, RefreshSession
from auth_service.accounts.opaque_tokens import new_opaque_token
from auth_service.accounts.passwords import password_check_rules
from auth_service.accounts.selectors import (
    credential_by_email,
    credential_find,
    refresh_session_by_token,
    reset_token_by_token,
)
from auth_service.keys.services import access_token_issue
from chassis.auth.revocation import revoke_tokens_before
from chassis.auth.roles import Role
from chassis.crypto.event_secrets import PASSWORD_RESET_TOKEN_PURPOSE, seal_event_secret
from chassis.errors import (
    Conflict,
    DependencyUnavailable,
    Throttled,
    Unauthenticated,
    ValidationFailed,
)
from chassis.events import publish

logger = structlog.get_logger(__name__)

# The dev admin's id is derived from its address, so a seeding retried after a partial
# failure asks users for the same profile again (CreateUser is idempotent on the id).
_SEED_NAMESPACE = uuid.UUID("1f0c8a4e-7d25-4c1e-9a59-7c1b1f6f3e2a")


class RevocationReason(StrEnum):
    """Why sessions end: carried by ``auth.sessions_revoked`` (labels, not secrets)."""

    LOGOUT_ALL = "logout_all"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105
    PASSWORD_RESET = "password_reset"  # noqa: S105
    USER_DEACTIVATED = "user_deactivated"
    ROLE_CHANGED = "role_changed"


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from, kept on refresh sessions for the audit trail."""

    ip: str | None
    user_agent: str


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class Registration:
    credential: Credential
    role: Role
    created_at: datetime


@dataclass(frozen=True)
class Revocation:
    revoked_before: float  # Unix time: access tokens issued earlier are rejected
    sessions_revoked: int


def _invalid_credentials() -> Unauthenticated:
    return Unauthenticated("The email or password is not correct.", code="invalid_credentials")


def _invalid_refresh_token() -> Unauthenticated:
    return Unauthenticated("The refresh token is not valid.", code="invalid_token")


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


# Registration -------------------------------------------------------------------------


def account_register(
    *, email: str, password: str, name: str, phone: str | None = None
) -> Registration:
    """Create the user's profile in users (gRPC), then their credential.

    The credential and its ``auth.user_registered`` event are written in one transaction,
    only once users has the profile; users unreachable stores nothing here. A profile
    left without a credential (a crash between the two) is reconciled later.
    """
    email = normalise_email(email)
    password_check_rules(password=password, email=email, name=name, field="password")
    if credential_by_email(email=email) is not None:
        raise Conflict("An account with this email already exists.", code="email_taken")
    user_id = uuid.uuid4()
    password_hash = make_password(password)
    user = directory_user_create(user_id=user_id, email=email, name=name, phone=phone)
    with transaction.atomic():
        credential = _credential_insert(
            user_id=user_id, email=email, name=name, password_hash=password_hash
        )
        _registered_event(credential)
    return Registration(credential=credential, role=user.role, created_at=user.created_at)


def _credential_insert(
    *, user_id: uuid.UUID, email: str, name: str, password_hash: str
) -> Credential:
    """Store a new credential; a concurrent registration of the address is a conflict."""
    credential = Credential(
        id=user_id,
        email=email,
        name=name,
        password_hash=password_hash,
        password_changed_at=timezone.now(),
    )
    credential.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            credential.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent registration won this address
        raise Conflict("An account with this email already exists.", code="email_taken") from exc
    return credential


# Sessions ---------------------------------------------------------------------------


def _session_start(
    *,
    credential: Credential,
    user: DirectoryUser,
    client: ClientInfo,
    grant: str,
    parent: RefreshSession | None = None,
) -> TokenPair:
    """A new refresh session (a new family, or the next of ``parent``'s) and its tokens.

    Called inside the caller's transaction: nothing is stored unless signing succeeded.
    """
    token, digest = new_opaque_token()
    session = RefreshSession(
        credential=credential,
        family_id=parent.family_id if parent is not None else uuid.uuid4(),
        parent=parent,
        token_hash=digest,
        expires_at=timezone.now() + timedelta(seconds=settings.REFRESH_TOKEN_TTL_SECONDS),
        client_ip=client.ip,
        user_agent=client.user_agent[:512],
    )
    session.save(force_insert=True)
    access = access_token_issue(user_id=credential.id, role=user.role)
    TOKENS_ISSUED.labels(grant).inc()
    return TokenPair(access_token=access.token, refresh_token=token, expires_in=access.expires_in)


def _login_failed(email: str) -> Unauthenticated:
    lockout_record_failure(email)
    LOGINS.labels("invalid_credentials").inc()
    return _invalid_credentials()


def session_login(*, email: str, password: str, client: ClientInfo) -> TokenPair:
    """Check the password and the account's standing; start a session.

    Unknown address, wrong password and deactivated account get the same answer, and the
    first two cost the same Argon2 hash. Each counts towards the address's lockout.
    """
    email = normalise_email(email)
    lockout = lockout_status(email)
    if lockout.remaining:
        LOGINS.labels("locked_out").inc()
        raise Throttled("Too many failed logins. Try again later.", retry_after=lockout.remaining)
    credential = credential_by_email(email=email)
    if credential is None:
        make_password(password)  # one Argon2 hash, as checking a real one costs
        raise _login_failed(email)

    def rehash(raw: str) -> None:  # the hashing parameters changed since it was stored
        credential.password_hash = make_password(raw)
        credential.save(update_fields=["password_hash", "updated_at"])

    # Ask users for the account's standing while Argon2 runs (it releases the GIL): the
    # round trip then costs the login nothing.
    pending = PendingUser(credential.id)
    if not check_password(password, credential.password_hash, setter=rehash):
        pending.cancel()
        raise _login_failed(email)
    user = pending.result()
    if user is None or not user.is_active:
        raise _login_failed(email)
    if lockout.has_failures:
        lockout_clear(email)
    with transaction.atomic():
        if user.name != credential.name:
            credential.name = user.name
            credential.save(update_fields=["name", "updated_at"])
        pair = _session_start(credential=credential, user=user, client=client, grant="login")
    LOGINS.labels("success").inc()
    return pair


def _family_revoke(*, family_id: uuid.UUID) -> int:
    return RefreshSession.objects.filter(family_id=family_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def session_refresh(*, refresh_token: str, client: ClientInfo) -> TokenPair:
    """Rotate a refresh token: the presented one is spent, a new one is returned.

    A token presented after it was rotated is reuse (stolen, or replayed): the whole
    family is revoked, the newest token included, and the answer is ``token_reused``. Of
    two concurrent refreshes of one token the row lock lets exactly one rotate; the other
    then finds it rotated, which is reuse too.
    """
    seen = refresh_session_by_token(token=refresh_token)
    if seen is None:
        raise _invalid_refresh_token()
    # Ask users before taking the lock: no row stays locked across a network call.
    user = None if seen.rotated_at is not None else directory_user_get(user_id=seen.credential_id)
    with transaction.atomic():
        session = RefreshSession.objects.select_for_update().get(pk=seen.pk)
        if session.rotated_at is not None:
            _family_revoke(family_id=session.family_id)
            outcome = "reused"
        elif session.revoked_at is not None or session.expires_at <= timezone.now():
            outcome = "invalid"
        elif user is None or not user.is_active:
            _family_revoke(family_id=session.family_id)
            outcome = "invalid"
        else:
            session.rotated_at = timezone.now()
            session.save(update_fields=["rotated_at", "updated_at"])
            return _session_start(
                credential=seen.credential,
                user=user,
                client=client,
                grant="refresh",
                parent=session,
            )
    if outcome == "reused":
        REFRESH_REUSE_DETECTED.inc()
        logger.warning("refresh_token_reused", family_id=str(seen.family_id))
        raise Unauthenticated(
            "This refresh token was already used; the session has been ended.",
            code="token_reused",
        )
    raise _invalid_refresh_token()


def session_logout(*, refresh_token: str) -> None:
    """End the login session the token belongs to (its whole family); unknown is fine."""
    session = refresh_session_by_token(token=refresh_token)
    if session is not None:
        _family_revoke(family_id=session.family_id)


@transaction.atomic
def sessions_revoke_all(*, user_id: uuid.UUID, reason: RevocationReason) -> Revocation:
    """End every session of the user and reject their access tokens issued until now.

    The marker goes to Redis before the transaction commits: should Redis fail, nothing
    is committed and the caller (or the event consumer's retry) tries again; should the
    commit fail after it, tokens were only rejected early. A user auth has no credential
    for has nothing to revoke.
    """
    moment = round(time.time(), 6)  # microseconds: the event's ISO time says the same
    if credential_find(user_id=user_id) is None:
        return Revocation(revoked_before=moment, sessions_revoked=0)
    count = RefreshSession.objects.filter(credential_id=user_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    publish(
        "auth.sessions_revoked",
        {"user_id": str(user_id), "reason": reason.value, "revoked_before": _iso(moment)},
        aggregate_id=str(user_id),
    )
    try:
        revoke_tokens_before(
            user_id=str(user_id), moment=moment, ttl_seconds=settings.ACCESS_TOKEN_TTL_SECONDS
        )
    except RedisError as exc:
        raise DependencyUnavailable("Sessions could not be revoked. Try again later.") from exc
    logger.info("sessions_revoked", user_id=str(user_id), reason=reason.value, sessions=count)
    return Revocation(revoked_before=moment, sessions_revoked=count)


# Passwords --------------------------------------------------------------------------


def _password_set(*, credential: Credential, password_hash: str) -> None:
    """Store a new password; reset links sent for the old one stop working."""
    credential.password_hash = password_hash
    credential.password_changed_at = timezone.now()
    credential.save(update_fields=["password_hash", "password_changed_at", "updated_at"])
    PasswordResetToken.objects.filter(credential=credential, used_at__isnull=True).delete()


def _password_changed_event(credential: Credential) -> None:
    publish(
        "auth.password_changed",
        {"user_id": str(credential.id), "email": credential.email, "name": credential.name},
        aggregate_id=str(credential.id),
    )


def password_change(*, user_id: uuid.UUID, current_password: str, new_password: str) -> None:
    """Change the password of a signed-in user; every session of theirs ends."""
    credential = credential_find(user_id=user_id)
    if credential is None:
        raise Unauthenticated("No account goes with this token.", code="invalid_token")
    if not check_password(current_password, credential.password_hash):
        raise ValidationFailed(
            "The current password is not correct.",
            code="invalid_password",
            errors={"current_password": ["The current password is not correct."]},
        )
    password_check_rules(
        password=new_password, email=credential.email, name=credential.name, field="new_password"
    )
    password_hash = make_password(new_password)
    with transaction.atomic():
        _password_set(credential=credential, password_hash=password_hash)
        _password_changed_event(credential)
        sessions_revoke_all(user_id=credential.id, reason=RevocationReason.PASSWORD_CHANGED)


def password_reset_request(*, email: str) -> None:
    """Queue the reset email's preparation; the caller learns nothing either way.

    The lookup, the token and the event happen in a task, so a registered and an unknown
    address cost this request exactly the same.
    """
    from auth_service.accounts.tasks import issue_password_reset

    try:
        issue_password_reset.delay(email=normalise_email(email))
    except BrokerError as exc:
        raise DependencyUnavailable("Password resets are unavailable. Try again later.") from exc


def password_reset_issue(*, email: str) -> PasswordResetToken | None:
    """Make a single-use reset token for the address, if it has an account.

    The raw token exists only in the ``auth.password_reset_requested`` event, sealed for
    its consumer (the worker mails it); the table keeps its hash.
    """
    credential = credential_by_email(email=normalise_email(email))
    if credential is None:
        return None
    token, digest = new_opaque_token()
    expires_at = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TOKEN_TTL_SECONDS)
    with transaction.atomic():
        reset = PasswordResetToken(credential=credential, token_hash=digest, expires_at=expires_at)
        reset.save(force_insert=True)
        publish(
            "auth.password_reset_requested",
            {
                "user_id": str(credential.id),
                "email": credential.email,
                "name": credential.name,
                "reset_token_sealed": seal_event_secret(
                    token, purpose=PASSWORD_RESET_TOKEN_PURPOSE
                ),
                "expires_at": expires_at.isoformat(),
            },
            aggregate_id=str(credential.id),
        )
    return reset


def _invalid_reset_token() -> ValidationFailed:
    return ValidationFailed(
        "This reset link is not valid; it may have expired or been used.", code="invalid_token"
    )


def _usable(reset: PasswordResetToken | None) -> bool:
    return reset is not None and reset.used_at is None and reset.expires_at > timezone.now()


def password_reset_confirm(*, token: str, new_password: str) -> None:
    """Set a new password with a reset token: once, within its hour; every session ends."""
    seen = reset_token_by_token(token=token)
    if seen is None or not _usable(seen):
        raise _invalid_reset_token()
    credential = seen.credential
    password_check_rules(
        password=new_password, email=credential.email, name=credential.name, field="new_password"
    )
    password_hash = make_password(new_password)
    with transaction.atomic():
        reset = PasswordResetToken.objects.select_for_update().filter(pk=seen.pk).first()
        if not _usable(reset):  # a concurrent confirm spent it meanwhile
            raise _invalid_reset_token()
        assert reset is not None
        reset.used_at = timezone.now()
        reset.save(update_fields=["used_at", "updated_at"])
        _password_set(credential=credential, password_hash=password_hash)
        _password_changed_event(credential)
        sessions_revoke_all(user_id=credential.id, reason=RevocationReason.PASSWORD_RESET)
    lockout_clear(credential.email)  # the mailbox owner proved who they are


# Housekeeping (periodic jobs sent by the platform's beat) ------------------------------


def sessions_purge_expired() -> int:
    """Delete refresh sessions whose whole family can no longer be used.

    A spent (rotated) token is kept while any token of its family is live: presenting it
    must still be recognised as reuse and end the family. Returns the rows deleted.
    """
    now = timezone.now()
    live_families = RefreshSession.objects.filter(
        expires_at__gt=now, revoked_at__isnull=True
    ).values("family_id")
    deleted, _ = (
        RefreshSession.objects.filter(expires_at__lte=now)
        .exclude(family_id__in=live_families)
        .delete()
    )
    return deleted


def reset_tokens_purge_spent() -> int:
    """Delete password-reset tokens that were used or have expired."""
    deleted, _ = PasswordResetToken.objects.filter(
        Q(used_at__isnull=False) | Q(expires_at__lte=timezone.now())
    ).delete()
    return deleted


# The dev stack ----------------------------------------------------------------------


def _registered_event(credential: Credential) -> None:
    # Users completes the profile on it (or deletes the profile within the hour).
    publish(
        "auth.user_registered",
        {"user_id": str(credential.id), "email": credential.email, "name": credential.name},
        aggregate_id=str(credential.id),
    )


def account_seed(*, email: str, password: str, name: str, role: Role) -> tuple[Credential, bool]:
    """Create or update an account without the password rules (the dev admin only).

    Idempotent: the profile is asked for under the same id every time, and an existing
    credential gets the given password. ``auth.user_registered`` is published each time,
    so that a profile users had to make again is completed too. Returns the credential
    and whether it is new.
    """
    email = normalise_email(email)
    credential = credential_by_email(email=email)
    user_id = credential.id if credential is not None else uuid.uuid5(_SEED_NAMESPACE, email)
    directory_user_create(user_id=user_id, email=email, name=name, phone=None, role=role)
    password_hash = make_password(password)
    with transaction.atomic():
        created = credential is None
        if credential is None:
            credential = _credential_insert(
                user_id=user_id, email=email, name=name, password_hash=password_hash
            )
        else:
            _password_set(credential=credential, password_hash=password_hash)
        _registered_event(credential)
    return credential, created
