from django.urls import URLPattern

from auth_service.keys import apis
from chassis.urls import optional_slash

urlpatterns: list[URLPattern] = [
    optional_slash(r"\.well-known/jwks\.json", apis.JwksView.as_view(), name="jwks"),
    optional_slash(
        r"\.well-known/openid-configuration",
        apis.OpenIdConfigurationView.as_view(),
        name="openid-configuration",
    ),
]
