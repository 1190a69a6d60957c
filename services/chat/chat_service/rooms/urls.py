from django.urls import URLPattern

from chassis.urls import optional_slash
from chat_service.rooms import apis

_ROOMS = "api/v1/chat/rooms"
_SLUG = r"(?P<slug>[^/]+)"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

urlpatterns: list[URLPattern] = [
    optional_slash(_ROOMS, apis.RoomListView.as_view(), name="room-list"),
    optional_slash(f"{_ROOMS}/{_SLUG}/join", apis.RoomJoinView.as_view(), name="room-join"),
    optional_slash(
        f"{_ROOMS}/{_SLUG}/members", apis.RoomMembersView.as_view(), name="room-members"
    ),
    optional_slash(
        f"{_ROOMS}/{_SLUG}/members/(?P<user_id>{_UUID})",
        apis.RoomMemberView.as_view(),
        name="room-member",
    ),
    optional_slash(
        f"{_ROOMS}/{_SLUG}/messages", apis.RoomMessagesView.as_view(), name="room-messages"
    ),
    optional_slash(
        f"{_ROOMS}/{_SLUG}/messages/(?P<message_id>{_UUID})",
        apis.RoomMessageView.as_view(),
        name="room-message",
    ),
]
