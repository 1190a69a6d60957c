"""ProfileOutput writes its dict by hand; it must say exactly what its declared fields say."""

from __future__ import annotations

import time
import uuid

import pytest
from rest_framework import serializers

from chassis.auth.authentication import TokenUser
from chassis.auth.roles import Role
from chassis.auth.tokens import AccessClaims
from tests.factories import make_profile
from users_service.profiles.serializers import ProfileOutput

pytestmark = pytest.mark.django_db


def viewer(role: Role, user_id: uuid.UUID | None = None) -> TokenUser:
    now = time.time()
    return TokenUser(
        AccessClaims(
            user_id=user_id or uuid.uuid4(),
            role=role,
            issued_at=now,
            expires_at=now + 900,
            token_id="t",
        )
    )


@pytest.mark.parametrize("phone", ["+14155550123", None])
@pytest.mark.parametrize("who", ["self", Role.USER, Role.MODERATOR, Role.ADMIN])
def test_hand_written_output_matches_the_declared_fields(who, phone):
    profile = make_profile(phone=phone, role=Role.MODERATOR)
    seen_by = viewer(Role.MODERATOR, profile.id) if who == "self" else viewer(Role(who))
    output = ProfileOutput(profile, context={"viewer": seen_by})
    by_fields = serializers.Serializer.to_representation(output, profile)

    assert output.data == by_fields
    assert list(output.data) == list(ProfileOutput().fields)
    assert output.data["created_at"].endswith("Z")


def test_many_uses_the_same_output():
    profiles = [make_profile(), make_profile(phone=None)]
    admin = viewer(Role.ADMIN)
    many: object = ProfileOutput(profiles, many=True, context={"viewer": admin}).data  # type: ignore[arg-type]
    assert many == [ProfileOutput(p, context={"viewer": admin}).data for p in profiles]
