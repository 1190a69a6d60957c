"""Business rules for profiles: creation (from auth), edits, roles, activation."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from chassis.auth.revocation import revoke_tokens_before
from chassis.auth.roles import Role
from chassis.errors import Conflict
from chassis.events import publish
from users_service.profiles.models import Profile
from users_service.profiles.phones import normalise_phone
from users_service.profiles.selectors import card_cache_key, profile_by_email, profile_find

logger = structlog.get_logger(__name__)

UNCHANGED: Any = object()


def _after_commit_forget_card(profile: Profile) -> None:
    transaction.on_commit(lambda: cache.delete(card_cache_key(profile.id)))


def _after_commit_revoke_tokens(profile: Profile) -> None:
    """Reject the user's outstanding access tokens at once.

    Auth also sets the marker when it consumes the event; doing it here too keeps the
    two-second promise even when the event relay is slow.
    """
    user_id = str(profile.id)

    def revoke() -> None:
        try:
            revoke_tokens_before(
                user_id=user_id, moment=time.time(), ttl_seconds=settings.ACCESS_TOKEN_TTL_SECONDS
            )
        except Exception:  # Redis down: the event path still revokes
            logger.exception("revocation_marker_failed", user_id=user_id)

    transaction.on_commit(revoke)


@transaction.atomic
def profile_create(
    *,
    profile_id: uuid.UUID,
    email: str,
    name: str,
    phone: str | None = None,
    role: Role = Role.USER,
) -> tuple[Profile, bool]:
    """Create the profile auth registered, or return it when it already exists.

    Idempotent on the id: a retried CreateUser with the same id and email returns the
    first profile. Returns the profile and whether it was created.
    """
    existing = profile_find(profile_id=profile_id)
    if existing is not None:
        if existing.email.lower() == email.lower():
            return existing, False
        raise Conflict("This id already belongs to another user.", code="id_taken")
    if profile_by_email(email=email) is not None:
        raise Conflict("A user with this email already exists.", code="email_taken")
    profile = Profile(
        id=profile_id,
        email=email,
        name=name,
        phone=normalise_phone(phone) if phone else None,
        role=role,
    )
    profile.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            profile.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent create won the race for this email or id
        raise Conflict("A user with this email already exists.", code="email_taken") from exc
    return profile, True


@transaction.atomic
def profile_update(*, profile: Profile, name: Any = UNCHANGED, phone: Any = UNCHANGED) -> Profile:
    """Change what a user may change about themself: name and phone (``None`` clears it)."""
    changed = []
    if name is not UNCHANGED and name != profile.name:
        profile.name = name
        changed.append("name")
    if phone is not UNCHANGED:
        new_phone = normalise_phone(phone) if phone else None
        if new_phone != profile.phone:
            profile.phone = new_phone
            changed.append("phone")
    if not changed:
        return profile
    profile.full_clean(validate_unique=False, validate_constraints=False)
    profile.save()
    # Names travel (chat shows them); the phone never leaves this service.
    publish(
        "users.user_updated",
        {"user_id": str(profile.id), "name": profile.name, "changed": changed},
        aggregate_id=str(profile.id),
    )
    _after_commit_forget_card(profile)
    return profile


@transaction.atomic
def profile_set_role(*, actor_id: uuid.UUID, profile: Profile, role: Role) -> Profile:
    """An admin gives a user another role; their tokens, carrying the old one, stop working."""
    if profile.id == actor_id:
        raise Conflict("Administrators cannot change their own role.", code="self_role_change")
    previous = profile.role
    if previous == role:
        return profile
    profile.role = role
    profile.full_clean(validate_unique=False, validate_constraints=False)
    profile.save()
    publish(
        "users.role_changed",
        {"user_id": str(profile.id), "role": role.value, "previous_role": previous},
        aggregate_id=str(profile.id),
    )
    _after_commit_forget_card(profile)
    _after_commit_revoke_tokens(profile)
    return profile


@transaction.atomic
def profile_deactivate(*, actor_id: uuid.UUID, profile: Profile) -> Profile:
    """Stop a user: no login, no refresh, no access token from now on."""
    if profile.id == actor_id:
        raise Conflict(
            "Administrators cannot deactivate themselves.", code="cannot_deactivate_self"
        )
    if not profile.is_active:
        return profile
    profile.is_active = False
    profile.save()
    publish("users.user_deactivated", {"user_id": str(profile.id)}, aggregate_id=str(profile.id))
    _after_commit_forget_card(profile)
    _after_commit_revoke_tokens(profile)
    return profile


@transaction.atomic
def profile_activate(*, profile: Profile) -> Profile:
    if profile.is_active:
        return profile
    profile.is_active = True
    profile.save()
    publish("users.user_activated", {"user_id": str(profile.id)}, aggregate_id=str(profile.id))
    _after_commit_forget_card(profile)
    return profile


@transaction.atomic
def profile_complete_registration(*, profile_id: uuid.UUID, email: str, name: str) -> Profile:
    """Auth stored the user's credential: the profile is a user's, not a leftover.

    Should the event come so late that the reconciliation has removed the profile, the
    profile is made again from the event (without the phone, which events do not carry):
    a user who can log in must exist here.
    """
    now = timezone.now()
    Profile.objects.filter(pk=profile_id, registration_completed_at__isnull=True).update(
        registration_completed_at=now
    )
    profile = profile_find(profile_id=profile_id)
    if profile is not None:
        return profile
    logger.warning("registration_completed_after_reconciliation", user_id=str(profile_id))
    profile, _ = profile_create(profile_id=profile_id, email=email, name=name)
    profile.registration_completed_at = now
    profile.save(update_fields=["registration_completed_at", "updated_at"])
    return profile


def profiles_delete_unregistered(*, older_than: timedelta) -> int:
    """Delete the profiles whose registration never completed within ``older_than``.

    A registration that failed after ``CreateUser`` leaves such a profile; no credential
    was stored, so nobody can log in as it. Returns how many were deleted.
    """
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        # A completion committed meanwhile wins: Postgres re-checks the condition on the
        # row it waited for, so a just-completed profile is not deleted.
        doomed = list(
            Profile.objects.filter(
                registration_completed_at__isnull=True, created_at__lt=cutoff
            ).values_list("pk", flat=True)
        )
        deleted, _ = Profile.objects.filter(
            pk__in=doomed, registration_completed_at__isnull=True
        ).delete()
    if deleted:
        cache.delete_many([card_cache_key(pk) for pk in doomed])
        logger.info("unregistered_profiles_deleted", count=deleted)
    return deleted
