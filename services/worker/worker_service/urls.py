"""The worker serves only its health and metrics endpoints over HTTP."""

from chassis.urls import handler400, handler403, handler404, handler500, ops_urlpatterns

urlpatterns = ops_urlpatterns()

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
