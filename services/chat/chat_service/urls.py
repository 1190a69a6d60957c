from chassis.urls import (
    admin_urlpatterns,
    docs_urlpatterns,
    handler400,
    handler403,
    handler404,
    handler500,
    ops_urlpatterns,
)
from chat_service.rooms.urls import urlpatterns as room_urls

urlpatterns = [
    *ops_urlpatterns(),
    *admin_urlpatterns(),
    *room_urls,
    *docs_urlpatterns("chat"),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
