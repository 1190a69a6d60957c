from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "chat_service.rooms"
    label = "rooms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chat_service.rooms.broadcasting import count_layer_drops

        count_layer_drops()
