"""Role-based permission classes for DRF views.

Object rules compare the caller with the object's owner through the view's
``owner_id_of(obj)`` (or the object's ``id`` when the object is a user).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from chassis.auth.roles import STAFF_ROLES, Role


def _role(request: Request) -> Role | None:
    return getattr(request.user, "role", None)


def _is_self(request: Request, view: APIView, obj: Any) -> bool:
    owner_of = getattr(view, "owner_id_of", None)
    owner = owner_of(obj) if owner_of else getattr(obj, "id", None)
    return owner is not None and str(owner) == str(getattr(request.user, "id", None))


class IsAdmin(BasePermission):
    message = "Only administrators may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return _role(request) == Role.ADMIN


class IsStaff(BasePermission):
    """Admins and moderators."""

    message = "Only moderators and administrators may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return _role(request) in STAFF_ROLES


class IsSelfOrAdmin(BasePermission):
    message = "Only the user themself or an administrator may do this."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        return _role(request) == Role.ADMIN or _is_self(request, view, obj)


class IsSelfOrStaff(BasePermission):
    message = "Only the user themself, a moderator or an administrator may do this."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        return _role(request) in STAFF_ROLES or _is_self(request, view, obj)
