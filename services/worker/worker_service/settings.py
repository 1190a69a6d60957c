"""Settings of the worker service: the chassis block plus what is the service's own."""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chassis.settings import PRODUCTION, env, service_settings, strata_env
from worker_service.beat import platform_beat_schedule

BASE_DIR = Path(__file__).resolve().parent.parent

# The second connection the notification log writes through (see notifications.delivery).
NOTIFICATION_LOG_DATABASE = "notification_log"

_production = strata_env() == PRODUCTION
_settings: dict[str, Any] = service_settings(
    service="worker",
    base_dir=BASE_DIR,
    apps=["worker_service.notifications"],
    # The reset token travels sealed under EVENT_SECRETS_KEY; links need the public URL.
    required_secrets=("EMAIL_URL", "EVENT_SECRETS_KEY", "STRATA_PUBLIC_URL"),
    asgi=False,
)

# The same database and role through a second connection: a notification is claimed in a
# transaction of its own, committed before the mail goes out, even while the event
# consumer's transaction is still open on the default connection.
_default_db = _settings["DATABASES"]["default"]
_settings["DATABASES"][NOTIFICATION_LOG_DATABASE] = {
    **_default_db,
    "TEST": {**_default_db["TEST"], "MIRROR": "default"},
}

# A mail server's outage lasts minutes: ten retries, doubling from 2 s up to the
# 600 s cap, keep trying for 14 to 27 minutes before an event is dead-lettered.
_settings["EVENTS_MAX_RETRIES"] = env.int("EVENTS_MAX_RETRIES", default=10)

globals().update(_settings)

# Mail: Django's email backend, configured by one URL (smtp://, smtp+tls://, smtp+ssl://).
globals().update(
    env.email_url("EMAIL_URL", default="" if _production else "smtp://127.0.0.1:51025")
)
# Connect, each SMTP command and each reply: bounded, so a hung server fails the attempt
# (to be retried) long before the task's time limit.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=15.0)

# Where people reach the platform: the links in emails point there.
STRATA_PUBLIC_URL = str(
    env.str("STRATA_PUBLIC_URL", default="" if _production else "http://127.0.0.1:8080")
).rstrip("/")
# The page that takes a reset token (as ?token=) and a new password.
PASSWORD_RESET_URL = env.str("PASSWORD_RESET_URL", default=f"{STRATA_PUBLIC_URL}/reset-password")
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL",
    default=f"Strata <no-reply@{urlsplit(STRATA_PUBLIC_URL).hostname}>"
    if _production
    else "Strata <no-reply@strata.local>",
)
# Rows of the notification log older than this are deleted (daily). Longer than the inbox
# keeps processed events, so the log still answers for anything that could come again.
NOTIFICATIONS_RETENTION_DAYS = env.int("NOTIFICATIONS_RETENTION_DAYS", default=90)

# The platform's one beat: periodic jobs, each sent to the queue of the service owning it.
CELERY_BEAT_SCHEDULE = platform_beat_schedule()
