from django.urls import URLPattern

from auth_service.accounts import apis
from chassis.urls import optional_slash

_BASE = "api/v1/auth"

urlpatterns: list[URLPattern] = [
    optional_slash(f"{_BASE}/register", apis.RegisterView.as_view(), name="register"),
    optional_slash(f"{_BASE}/login", apis.LoginView.as_view(), name="login"),
    optional_slash(f"{_BASE}/refresh", apis.RefreshView.as_view(), name="refresh"),
    optional_slash(f"{_BASE}/logout", apis.LogoutView.as_view(), name="logout"),
    optional_slash(f"{_BASE}/logout-all", apis.LogoutAllView.as_view(), name="logout-all"),
    optional_slash(
        f"{_BASE}/password/change", apis.PasswordChangeView.as_view(), name="password-change"
    ),
    optional_slash(
        f"{_BASE}/password/reset", apis.PasswordResetView.as_view(), name="password-reset"
    ),
    optional_slash(
        f"{_BASE}/password/reset/confirm",
        apis.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
]
