from chassis.urls import (
    admin_urlpatterns,
    docs_urlpatterns,
    handler400,
    handler403,
    handler404,
    handler500,
    ops_urlpatterns,
)
from users_service.profiles.urls import urlpatterns as profile_urls

urlpatterns = [
    *ops_urlpatterns(),
    *admin_urlpatterns(),
    *profile_urls,
    *docs_urlpatterns("users"),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
