"""The users REST API: thin views over the profile selectors and services."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chassis.auth.authentication import TokenUser
from chassis.auth.permissions import IsAdmin, IsSelfOrAdmin, IsSelfOrStaff, IsStaff
from chassis.auth.roles import Role
from chassis.pagination import CursorPagination
from users_service.profiles import selectors, services
from users_service.profiles.models import Profile
from users_service.profiles.serializers import (
    ListQuery,
    ProfileOutput,
    ProfilePatchInput,
    RoleInput,
)


def _viewer(request: Request) -> TokenUser:
    return cast(TokenUser, request.user)


def _render(request: Request, profile: Profile) -> Response:
    return Response(ProfileOutput(profile, context={"viewer": _viewer(request)}).data)


def _patch(request: Request, profile: Profile) -> Response:
    given = ProfilePatchInput(data=request.data)
    given.is_valid(raise_exception=True)
    profile = services.profile_update(profile=profile, **given.validated_data)
    return _render(request, profile)


class MeView(APIView):
    @extend_schema(responses=ProfileOutput, summary="The caller's own profile")
    def get(self, request: Request) -> Response:
        return _render(request, selectors.profile_get(profile_id=_viewer(request).id))

    @extend_schema(
        request=ProfilePatchInput, responses=ProfileOutput, summary="Change own name or phone"
    )
    def patch(self, request: Request) -> Response:
        return _patch(request, selectors.profile_get(profile_id=_viewer(request).id))


class UserListView(APIView):
    permission_classes = [IsAuthenticated, IsStaff]

    @extend_schema(
        parameters=[ListQuery, OpenApiParameter("page_size", int)],
        responses=ProfileOutput(many=True),
        summary="List users (moderators and admins)",
    )
    def get(self, request: Request) -> Response:
        query = ListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        profiles = selectors.profile_list(**query.validated_data)
        paginator = CursorPagination()
        page = paginator.paginate_queryset(profiles, request, view=self)
        # many=True takes a list; drf-stubs types only the single-instance form.
        output = ProfileOutput(page, many=True, context={"viewer": _viewer(request)})  # type: ignore[arg-type]
        return paginator.get_paginated_response(output.data)


class UserDetailView(APIView):
    def get_permissions(self) -> list:  # type: ignore[type-arg]
        rule = IsSelfOrAdmin if self.request.method == "PATCH" else IsSelfOrStaff
        return [IsAuthenticated(), rule()]

    def _profile(self, request: Request, user_id: str) -> Profile:
        profile = selectors.profile_get(profile_id=user_id)
        self.check_object_permissions(request, profile)
        return profile

    @extend_schema(responses=ProfileOutput, summary="One user (self, moderators, admins)")
    def get(self, request: Request, user_id: str) -> Response:
        return _render(request, self._profile(request, user_id))

    @extend_schema(request=ProfilePatchInput, responses=ProfileOutput, summary="Edit a user")
    def patch(self, request: Request, user_id: str) -> Response:
        return _patch(request, self._profile(request, user_id))


class UserRoleView(APIView):
    permission_classes = [IsAuthenticated, IsAdmin]

    @extend_schema(request=RoleInput, responses=ProfileOutput, summary="Set a user's role")
    def put(self, request: Request, user_id: str) -> Response:
        given = RoleInput(data=request.data)
        given.is_valid(raise_exception=True)
        profile = services.profile_set_role(
            actor_id=_viewer(request).id,
            profile=selectors.profile_get(profile_id=user_id),
            role=Role(given.validated_data["role"]),
        )
        return _render(request, profile)


class UserDeactivateView(APIView):
    permission_classes = [IsAuthenticated, IsAdmin]

    @extend_schema(request=None, responses={204: None}, summary="Deactivate a user")
    def post(self, request: Request, user_id: str) -> Response:
        services.profile_deactivate(
            actor_id=_viewer(request).id, profile=selectors.profile_get(profile_id=user_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserActivateView(APIView):
    permission_classes = [IsAuthenticated, IsAdmin]

    @extend_schema(request=None, responses={204: None}, summary="Reactivate a user")
    def post(self, request: Request, user_id: str) -> Response:
        services.profile_activate(profile=selectors.profile_get(profile_id=user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
