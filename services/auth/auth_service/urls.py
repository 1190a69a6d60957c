from auth_service.accounts.urls import urlpatterns as account_urls
from auth_service.keys.urls import urlpatterns as key_urls
from chassis.urls import (
    admin_urlpatterns,
    docs_urlpatterns,
    handler400,
    handler403,
    handler404,
    handler500,
    ops_urlpatterns,
)

urlpatterns = [
    *ops_urlpatterns(),
    *admin_urlpatterns(),
    *account_urls,
    *key_urls,
    *docs_urlpatterns("auth"),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
