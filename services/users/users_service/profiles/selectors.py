"""Reads of profiles. Batch reads of the public card go through a Redis cache."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.db.models.functions import Lower

from chassis.errors import NotFound
from chassis.queries import PrimaryKeyGet
from users_service.profiles.models import Profile

CARD_CACHE_SECONDS = 300
_CARD_KEY = "profile-card:{id}"


@dataclass(frozen=True)
class ProfileCard:
    """What other services ask for most: no phone, so no decrypted PII is cached."""

    id: str
    email: str
    name: str
    role: str
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, profile: Profile) -> ProfileCard:
        return cls(
            id=str(profile.id),
            email=profile.email,
            name=profile.name,
            role=profile.role,
            is_active=profile.is_active,
            created_at=profile.created_at,
            updated_at=profile.updated_at,
        )


def card_cache_key(profile_id: uuid.UUID | str) -> str:
    return _CARD_KEY.format(id=profile_id)


# GET /users/me and gRPC GetUser, the two hottest reads, come through here.
_profile_by_pk = PrimaryKeyGet(Profile)


def profile_get(*, profile_id: uuid.UUID | str) -> Profile:
    try:
        return _profile_by_pk(profile_id)
    except (Profile.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("No user with this id.") from exc


def profile_find(*, profile_id: uuid.UUID | str) -> Profile | None:
    return Profile.objects.filter(pk=profile_id).first()


def profile_by_email(*, email: str) -> Profile | None:
    # lower(email), the expression of the unique index: iexact compiles to UPPER() and
    # would scan the whole table at every registration.
    return Profile.objects.alias(email_ci=Lower("email")).filter(email_ci=email.lower()).first()


def profile_list(
    *, role: str | None = None, is_active: bool | None = None, search: str | None = None
) -> QuerySet[Profile]:
    profiles = Profile.objects.all()
    if role:
        profiles = profiles.filter(role=role)
    if is_active is not None:
        profiles = profiles.filter(is_active=is_active)
    if search:
        profiles = profiles.filter(name__icontains=search)
    return profiles.order_by("-created_at", "-id")


def profile_cards(*, profile_ids: Iterable[str]) -> list[ProfileCard]:
    """The cards of the profiles that exist among ``profile_ids``, cache first."""
    wanted = []
    for raw in profile_ids:
        try:
            wanted.append(str(uuid.UUID(raw)))
        except ValueError:
            continue  # an id that cannot exist is simply not found
    cached = cache.get_many([card_cache_key(pid) for pid in wanted])
    cards = {key.split(":", 1)[1]: ProfileCard(**value) for key, value in cached.items()}
    missing = [pid for pid in wanted if pid not in cards]
    if missing:
        fresh = {str(p.id): ProfileCard.of(p) for p in Profile.objects.filter(pk__in=missing)}
        cache.set_many(
            {card_cache_key(pid): asdict(card) for pid, card in fresh.items()},
            timeout=CARD_CACHE_SECONDS,
        )
        cards.update(fresh)
    return [cards[pid] for pid in dict.fromkeys(wanted) if pid in cards]
