"""The settings block every Strata service starts from, read from the environment.

A service's ``settings.py`` calls :func:`service_settings` once and adds what is its own::

    globals().update(service_settings(service="users", apps=["users_service.profiles"]))

Everything is an environment variable (see the README's configuration table). In
production mode (``STRATA_ENV=production``) nothing secret has a default: a missing secret
stops the process at import time with the names of what is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from chassis.observability.logging import logging_config

env = environ.Env()

DEVELOPMENT = "development"
PRODUCTION = "production"

# Secrets every service needs in production; services add their own through
# ``required_secrets``.
BASE_SECRETS = ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "INTERNAL_GRPC_TOKEN")

# Development-only fallbacks, matching the dev stack's ports. Never used in production.
_DEV_DEFAULTS = {
    "DJANGO_SECRET_KEY": "strata-dev-only-insecure-secret-key",
    # base64 of 32 fixed bytes: development data only, never a real secret.
    "FIELD_ENCRYPTION_KEYS": '{"dev": "c3RyYXRhLWRldi1vbmx5LWZpZWxkLWtleS0zMmJ5dGU="}',
    "FIELD_ENCRYPTION_ACTIVE_KEY": "dev",
    "BLIND_INDEX_KEY": "c3RyYXRhLWRldi1vbmx5LWJsaW5kLWluZGV4LWtleSE=",
    "EVENT_SECRETS_KEY": "c3RyYXRhLWRldi1vbmx5LWV2ZW50LXNlY3JldC1rZXk=",
    "INTERNAL_GRPC_TOKEN": "strata-dev-only-internal-token",
    "REDIS_URL": "redis://127.0.0.1:56379/0",
}

REQUEST_BODY_LIMIT = 1024 * 1024  # 1 MiB, the contract's largest request body

SERVICES = ("auth", "users", "chat", "worker")

# The event catalogue: each type and the services whose queues receive it. Producers
# never import consumer code; the relay sends by task name to these queues.
EVENT_ROUTES: dict[str, list[str]] = {
    "auth.user_registered": ["worker", "users"],
    "auth.password_changed": ["worker"],
    "auth.password_reset_requested": ["worker"],
    "auth.sessions_revoked": ["chat"],
    "users.user_updated": ["chat"],
    "users.role_changed": ["auth", "chat"],
    "users.user_deactivated": ["auth", "chat", "worker"],
    "users.user_activated": [],
    "chat.message_posted": [],
}


def strata_env() -> str:
    value = str(env.str("STRATA_ENV", default=DEVELOPMENT))
    if value not in (DEVELOPMENT, PRODUCTION):
        raise ImproperlyConfigured(f"STRATA_ENV must be '{DEVELOPMENT}' or '{PRODUCTION}'.")
    return value


def missing_secrets(names: tuple[str, ...] | list[str]) -> list[str]:
    return [name for name in names if not env.str(name, default="")]


def _secret(name: str, *, production: bool, required: bool = True) -> str:
    """A secret from the environment; a development default only outside production.

    ``required=False`` secrets may be empty in production: only the services that use
    them list them in ``required_secrets``, which is checked before anything is read.
    """
    value = str(env.str(name, default=""))
    if value:
        return value
    if not production:
        return _DEV_DEFAULTS.get(name, "")
    if required:
        raise ImproperlyConfigured(f"{name} must be set in production.")
    return ""


def throttle_rate(name: str, default: str) -> str:
    """A DRF throttle rate from the environment, raised a hundredfold when relaxed.

    ``STRATA_RELAXED_THROTTLES=1`` is for load tests and end-to-end suites that run from
    one address; it never applies to the failed-login lockout, which does not use this.
    """
    rate = str(env.str(name, default=default))
    if not env.bool("STRATA_RELAXED_THROTTLES", default=False):
        return rate
    count, _, period = rate.partition("/")
    return f"{int(count) * 100}/{period}"


def service_settings(
    *,
    service: str,
    base_dir: Path,
    apps: list[str],
    required_secrets: tuple[str, ...] = (),
    asgi: bool = False,
) -> dict[str, Any]:
    """Build the settings of one service.

    ``service`` names the service: its Postgres schema and role, its Celery queue, its
    cache prefix and its log field. ``apps`` are the service's own Django apps.
    """
    mode = strata_env()
    production = mode == PRODUCTION
    if production:
        missing = missing_secrets([*BASE_SECRETS, *required_secrets])
        if missing:
            raise ImproperlyConfigured(
                "Refusing to start in production without: " + ", ".join(sorted(missing))
            )

    debug = env.bool("DJANGO_DEBUG", default=False) and not production
    redis_url = _secret("REDIS_URL", production=production)
    schema = env.str("DATABASE_SCHEMA", default=service)
    database = env.db_url("DATABASE_URL", default=f"postgresql://{service}@127.0.0.1:55432/strata")
    database.update(
        {
            "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60),
            "CONN_HEALTH_CHECKS": env.bool("DATABASE_CONN_HEALTH_CHECKS", default=True),
            # Each service sees only its own schema; its role may use nothing else.
            "OPTIONS": {"options": f"-c search_path={schema}", "connect_timeout": 5},
            # Parallel test runs of several services may share one server.
            "TEST": {"NAME": f"test_strata_{service}"},
        }
    )

    settings: dict[str, Any] = {
        "STRATA_SERVICE": service,
        "STRATA_ENV": mode,
        "BASE_DIR": base_dir,
        "SECRET_KEY": _secret("DJANGO_SECRET_KEY", production=production),
        "DEBUG": debug,
        "ALLOWED_HOSTS": env.list(
            "ALLOWED_HOSTS", default=[] if production else ["127.0.0.1", "localhost", "[::1]"]
        ),
        "INSTALLED_APPS": [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.admin",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "corsheaders",
            "rest_framework",
            "django_filters",
            "drf_spectacular",
            "chassis",
            "chassis.events",
            *(["channels"] if asgi else []),
            *apps,
        ],
        "MIDDLEWARE": [
            "chassis.observability.middleware.RequestIdMiddleware",
            "chassis.observability.middleware.MetricsMiddleware",
            "chassis.errors.middleware.BodySizeLimitMiddleware",
            "django.middleware.security.SecurityMiddleware",
            "corsheaders.middleware.CorsMiddleware",
            "django.middleware.common.CommonMiddleware",
            # Sessions, CSRF, login, messages and framing, for /admin/ only.
            "chassis.browser.AdminBrowserMiddleware",
        ],
        # The admin's checks look for the browser middleware in MIDDLEWARE itself.
        "SILENCED_SYSTEM_CHECKS": ["admin.E408", "admin.E409", "admin.E410"],
        "ROOT_URLCONF": f"{service}_service.urls",
        "WSGI_APPLICATION": f"{service}_service.wsgi.application",
        "ASGI_APPLICATION": f"{service}_service.asgi.application",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        "DATABASES": {"default": database},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "PASSWORD_HASHERS": [
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ],
        "LANGUAGE_CODE": "en-us",
        "TIME_ZONE": "UTC",
        "USE_I18N": False,
        "USE_TZ": True,
        "STATIC_URL": f"/static/{service}/",
        "STATIC_ROOT": env.path("STATIC_ROOT", default=str(base_dir / "staticfiles")),
        # Paths work with and without their trailing slash, so nothing may redirect.
        "APPEND_SLASH": False,
        "DATA_UPLOAD_MAX_MEMORY_SIZE": REQUEST_BODY_LIMIT,
        "CACHES": {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": f"strata:{service}",
                "TIMEOUT": 300,
                "OPTIONS": {
                    "SOCKET_CONNECT_TIMEOUT": 2,
                    "SOCKET_TIMEOUT": 2,
                },
            }
        },
        "REDIS_URL": redis_url,
        "CHANNEL_LAYERS": {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                # Chat and worker share it: the worker pushes notifications to sockets.
                "CONFIG": {"hosts": [redis_url], "prefix": "strata:channels"},
            }
        },
        "REST_FRAMEWORK": {
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "chassis.auth.authentication.BearerTokenAuthentication"
            ],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            "DEFAULT_PAGINATION_CLASS": "chassis.pagination.CursorPagination",
            "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
            "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
            "EXCEPTION_HANDLER": "chassis.errors.handler.problem_exception_handler",
            "UNAUTHENTICATED_USER": None,
            "PAGE_SIZE": 20,
        },
        "SPECTACULAR_SETTINGS": {
            "TITLE": f"Strata {service} API",
            "VERSION": "1.0.0",
            "SERVE_INCLUDE_SCHEMA": False,
            "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
            "SCHEMA_PATH_PREFIX": r"/api/v1/",
            "COMPONENT_SPLIT_REQUEST": True,
        },
        # Celery, configured from Django settings with the CELERY_ namespace.
        "CELERY_BROKER_URL": env.str("CELERY_BROKER_URL", default=redis_url),
        "CELERY_TASK_DEFAULT_QUEUE": service,
        "CELERY_TASK_SERIALIZER": "json",
        "CELERY_RESULT_SERIALIZER": "json",
        "CELERY_ACCEPT_CONTENT": ["json"],
        "CELERY_TASK_IGNORE_RESULT": True,
        "CELERY_TASK_ACKS_LATE": True,
        # Without it a task whose worker child is killed is acked and lost.
        "CELERY_TASK_REJECT_ON_WORKER_LOST": True,
        "CELERY_WORKER_PREFETCH_MULTIPLIER": 1,
        "CELERY_TASK_TIME_LIMIT": 300,
        "CELERY_TASK_SOFT_TIME_LIMIT": 240,
        "CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP": True,
        "CELERY_WORKER_HIJACK_ROOT_LOGGER": False,
        "CELERY_BROKER_TRANSPORT_OPTIONS": {
            # Longer than the longest task plus the longest retry countdown: a message
            # not acked by then is delivered again.
            "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        },
        # A commit must not hang on a broker outage: the outbox sweep delivers later.
        "CELERY_TASK_PUBLISH_RETRY_POLICY": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        "CELERY_METRICS_PORT": env.int("CELERY_METRICS_PORT", default=0),
        # Events (chassis.events): who consumes what, and how hard to try.
        "EVENT_ROUTES": EVENT_ROUTES,
        "EVENTS_MAX_RETRIES": env.int("EVENTS_MAX_RETRIES", default=5),
        "EVENTS_RETRY_BACKOFF": env.float("EVENTS_RETRY_BACKOFF", default=2.0),
        "EVENTS_RETRY_BACKOFF_MAX": env.float("EVENTS_RETRY_BACKOFF_MAX", default=600.0),
        "EVENTS_RELAY_BATCH_SIZE": env.int("EVENTS_RELAY_BATCH_SIZE", default=100),
        "EVENTS_OUTBOX_RETENTION_DAYS": env.int("EVENTS_OUTBOX_RETENTION_DAYS", default=7),
        "EVENTS_INBOX_RETENTION_DAYS": env.int("EVENTS_INBOX_RETENTION_DAYS", default=30),
        # gRPC between services.
        "INTERNAL_GRPC_TOKEN": _secret("INTERNAL_GRPC_TOKEN", production=production),
        "GRPC_TARGETS": {
            "auth": env.str("AUTH_GRPC_TARGET", default="127.0.0.1:50051"),
            "users": env.str("USERS_GRPC_TARGET", default="127.0.0.1:50052"),
        },
        "GRPC_DEFAULT_TIMEOUT": env.float("GRPC_DEFAULT_TIMEOUT", default=3.0),
        "GRPC_PORT": env.int("GRPC_PORT", default=0),
        "GRPC_METRICS_PORT": env.int("GRPC_METRICS_PORT", default=0),
        "GRPC_SERVICERS": [],
        # PII encryption (see chassis.crypto); production services that store PII list
        # these in required_secrets.
        "FIELD_ENCRYPTION_KEYS": _secret(
            "FIELD_ENCRYPTION_KEYS", production=production, required=False
        ),
        "FIELD_ENCRYPTION_ACTIVE_KEY": _secret(
            "FIELD_ENCRYPTION_ACTIVE_KEY", production=production, required=False
        ),
        "BLIND_INDEX_KEY": _secret("BLIND_INDEX_KEY", production=production, required=False),
        "EVENT_SECRETS_KEY": _secret("EVENT_SECRETS_KEY", production=production, required=False),
        # Access tokens: issued by auth, verified everywhere against its JWKS.
        "JWT_ISSUER": env.str("JWT_ISSUER", default="strata-auth"),
        "JWT_AUDIENCE": "strata",
        "AUTH_JWKS_URL": env.str(
            "AUTH_JWKS_URL", default="http://127.0.0.1:8001/.well-known/jwks.json"
        ),
        "AUTH_JWKS_CACHE_SECONDS": env.int("AUTH_JWKS_CACHE_SECONDS", default=300),
        # An unknown kid refetches the JWKS at most this often (a rotated key arrives).
        "AUTH_JWKS_REFETCH_COOLDOWN_SECONDS": env.float(
            "AUTH_JWKS_REFETCH_COOLDOWN_SECONDS", default=5.0
        ),
        "JWT_LEEWAY_SECONDS": env.int("JWT_LEEWAY_SECONDS", default=5),
        "ACCESS_TOKEN_TTL_SECONDS": 900,
        # Browser clients.
        "CORS_ALLOWED_ORIGINS": env.list("CORS_ALLOWED_ORIGINS", default=[]),
        "LOGGING": logging_config(
            service=service,
            level=env.str("LOG_LEVEL", default="INFO"),
            json=env.str("LOG_FORMAT", default="json") == "json",
        ),
        "SENTRY_DSN": env.str("SENTRY_DSN", default=""),
    }
    if production:
        settings.update(
            {
                "SECURE_HSTS_SECONDS": env.int("SECURE_HSTS_SECONDS", default=31536000),
                "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
                "SECURE_CONTENT_TYPE_NOSNIFF": True,
                "SESSION_COOKIE_SECURE": True,
                "CSRF_COOKIE_SECURE": True,
                # The gateway terminates TLS and says so in this header.
                "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
            }
        )
    return settings
