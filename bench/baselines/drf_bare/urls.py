from django.urls import re_path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# The same shape as the users service's user document.
CONSTANT = {
    "id": "0b5f5d57-46a5-4a9e-9d0c-2d1f0b0f0c11",
    "email": "bench@example.com",
    "name": "Bench User",
    "phone": "+15550100000",
    "role": "user",
    "is_active": True,
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
}


class ConstantView(APIView):
    def get(self, request: Request) -> Response:
        return Response(CONSTANT)


urlpatterns = [re_path(r"^api/v1/users/me/?$", ConstantView.as_view())]
