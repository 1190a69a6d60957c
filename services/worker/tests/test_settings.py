"""The worker's own settings, read from the environment by a fresh interpreter each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKER_DIR = Path(__file__).resolve().parents[1]

PRODUCTION = {
    "STRATA_ENV": "production",
    "DJANGO_SECRET_KEY": "s" * 50,
    "DATABASE_URL": "postgresql://worker:pw@db.example:5432/strata",
    "REDIS_URL": "redis://redis.example:6379/0",
    "INTERNAL_GRPC_TOKEN": "t" * 40,
    "EVENT_SECRETS_KEY": "c3RyYXRhLWRldi1vbmx5LWV2ZW50LXNlY3JldC1rZXk=",
    "EMAIL_URL": "smtp+tls://mailer:s3cret@smtp.example.com:587",
    "STRATA_PUBLIC_URL": "https://chat.example.com/",
}

READ = """
import json
from worker_service import settings as s
print(json.dumps({name: getattr(s, name, None) for name in (
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_USE_TLS",
    "EMAIL_TIMEOUT", "STRATA_PUBLIC_URL", "PASSWORD_RESET_URL", "DEFAULT_FROM_EMAIL",
    "EVENTS_MAX_RETRIES",
)}))
"""


def read_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in PRODUCTION and not k.startswith("EMAIL")
    }
    return subprocess.run(
        [sys.executable, "-c", READ],
        cwd=WORKER_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_reads_mail_and_links_from_the_environment():
    done = read_settings(PRODUCTION)

    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout)
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"]) == ("smtp.example.com", 587)
    assert (values["EMAIL_HOST_USER"], values["EMAIL_USE_TLS"]) == ("mailer", True)
    assert values["EMAIL_TIMEOUT"] == 15.0
    assert values["STRATA_PUBLIC_URL"] == "https://chat.example.com"
    assert values["PASSWORD_RESET_URL"] == "https://chat.example.com/reset-password"
    assert values["DEFAULT_FROM_EMAIL"] == "Strata <no-reply@chat.example.com>"
    assert values["EVENTS_MAX_RETRIES"] == 10


@pytest.mark.parametrize("missing", ["EMAIL_URL", "EVENT_SECRETS_KEY", "STRATA_PUBLIC_URL"])
def test_production_refuses_to_start_without_what_the_mail_needs(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}

    done = read_settings(env)

    assert done.returncode != 0
    assert f"Refusing to start in production without: {missing}" in done.stderr


def test_development_mails_the_dev_stack_sink_with_links_to_the_dev_gateway():
    done = read_settings({"STRATA_ENV": "development"})

    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout)
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"]) == ("127.0.0.1", 51025)
    assert values["PASSWORD_RESET_URL"] == "http://127.0.0.1:8080/reset-password"
