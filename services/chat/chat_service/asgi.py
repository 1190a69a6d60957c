"""The chat service's ASGI entry point: HTTP and WebSockets (served by uvicorn on 8005)."""

import os

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chat_service.settings")

# Django must be set up before anything imports models (consumers do).
django_application = get_asgi_application()

from chassis.auth.channels import TokenAuthMiddleware  # noqa: E402
from chat_service.log_redaction import redact_server_logs  # noqa: E402
from chat_service.origins import BrowserOriginValidator  # noqa: E402
from chat_service.routing import websocket_urlpatterns  # noqa: E402

redact_server_logs()

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": BrowserOriginValidator(TokenAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
