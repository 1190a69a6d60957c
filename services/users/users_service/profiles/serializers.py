from __future__ import annotations

from typing import Any

from rest_framework import serializers

from chassis.auth.roles import Role
from users_service.profiles.models import Profile
from users_service.profiles.visibility import visible_phone

# DRF fields hold no per-call state once built: one serves every representation.
_DATETIME = serializers.DateTimeField()


class ProfileOutput(serializers.Serializer[Profile]):
    """A user as the API shows it; ``context["viewer"]`` decides how much of the phone."""

    id = serializers.UUIDField()
    email = serializers.EmailField()
    name = serializers.CharField()
    phone = serializers.SerializerMethodField()
    role = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_phone(self, profile: Profile) -> str | None:
        viewer = self.context["viewer"]
        return visible_phone(profile=profile, viewer_id=viewer.id, viewer_role=viewer.role)

    def to_representation(self, instance: Profile) -> dict[str, Any]:
        # The declared fields above stay the schema; writing the dict out directly skips
        # DRF's deep copy of every field per instance, which was most of this
        # serializer's cost on GET /users/me. Tests hold the two to the same output.
        return {
            "id": str(instance.id),
            "email": instance.email,
            "name": instance.name,
            "phone": self.get_phone(instance),
            "role": instance.role,
            "is_active": instance.is_active,
            "created_at": _DATETIME.to_representation(instance.created_at),
            "updated_at": _DATETIME.to_representation(instance.updated_at),
        }


class ProfilePatchInput(serializers.Serializer[dict[str, Any]]):
    """The fields a user may change; anything else in the body is ignored."""

    name = serializers.CharField(min_length=1, max_length=150, required=False)
    phone = serializers.CharField(max_length=32, required=False, allow_null=True, allow_blank=True)


class RoleInput(serializers.Serializer[dict[str, Any]]):
    role = serializers.ChoiceField(choices=[role.value for role in Role])


class ListQuery(serializers.Serializer[dict[str, Any]]):
    role = serializers.ChoiceField(choices=[role.value for role in Role], required=False)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(max_length=100, required=False, allow_blank=True)
