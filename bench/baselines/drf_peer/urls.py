from typing import Any

from django.urls import re_path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.baselines.drf_peer.models import Profile


class ProfileSerializer(serializers.ModelSerializer[Profile]):
    id = serializers.IntegerField(source="user.id")
    email = serializers.EmailField(source="user.email")
    is_active = serializers.BooleanField(source="user.is_active")

    class Meta:
        model = Profile
        fields = ["id", "email", "name", "phone", "role", "is_active", "created_at", "updated_at"]


class MeView(APIView):
    def get(self, request: Request, *args: Any) -> Response:
        # request.user is the row JWTAuthentication loaded; the profile is the second query.
        profile = Profile.objects.get(user=request.user)
        return Response(ProfileSerializer(profile).data)


urlpatterns = [re_path(r"^api/v1/users/me/?$", MeView.as_view())]
