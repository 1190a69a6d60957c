from django.urls import URLPattern

from chassis.urls import optional_slash
from users_service.profiles import apis

_ID = r"(?P<user_id>[0-9a-fA-F-]{36})"

urlpatterns: list[URLPattern] = [
    optional_slash("api/v1/users", apis.UserListView.as_view(), name="user-list"),
    optional_slash("api/v1/users/me", apis.MeView.as_view(), name="me"),
    optional_slash(f"api/v1/users/{_ID}", apis.UserDetailView.as_view(), name="user-detail"),
    optional_slash(f"api/v1/users/{_ID}/role", apis.UserRoleView.as_view(), name="user-role"),
    optional_slash(
        f"api/v1/users/{_ID}/deactivate", apis.UserDeactivateView.as_view(), name="user-deactivate"
    ),
    optional_slash(
        f"api/v1/users/{_ID}/activate", apis.UserActivateView.as_view(), name="user-activate"
    ),
]
