"""Settings of the bare Channels baseline: chat's channel layer, nothing else."""

import copy

from chat_service import settings as chat_settings

SECRET_KEY = "bench-only-bare-channels"  # noqa: S105 - a local benchmark process
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["channels"]
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
ASGI_APPLICATION = "bench.baselines.channels_fanout.asgi.application"
CHANNEL_LAYERS = copy.deepcopy(chat_settings.CHANNEL_LAYERS)
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = "strata:bench-channels"
LOGGING_CONFIG = None
