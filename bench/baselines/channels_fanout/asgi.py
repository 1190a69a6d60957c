import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baselines.channels_fanout.settings")
django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from bench.baselines.channels_fanout.consumers import FanoutConsumer  # noqa: E402

# django-stubs types re_path for HTTP views only.
route = re_path(r"^ws/chat/(?P<slug>[^/]+)/?$", FanoutConsumer.as_asgi())  # type: ignore[arg-type]
application = ProtocolTypeRouter({"websocket": URLRouter([route])})  # type: ignore[list-item]
