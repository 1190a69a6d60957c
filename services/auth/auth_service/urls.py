from chassis.urls import (
    docs_urlpatterns,
    handler400,
    handler403,
    handler404,
    handler500,
    ops_urlpatterns,
)

urlpatterns = [
    *ops_urlpatterns(),
    *docs_urlpatterns("auth"),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
