"""The worker serves its health and metrics endpoints and its admin over HTTP."""

from chassis.urls import (
    admin_urlpatterns,
    handler400,
    handler403,
    handler404,
    handler500,
    ops_urlpatterns,
)

urlpatterns = [*ops_urlpatterns(), *admin_urlpatterns()]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
