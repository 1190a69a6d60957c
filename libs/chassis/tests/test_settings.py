"""Settings come from the environment; production refuses to start without secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from chassis.settings import service_settings, throttle_rate

SECRETS = {
    "DJANGO_SECRET_KEY": "s" * 50,
    "DATABASE_URL": "postgresql://users:pw@db.example:5432/strata",
    "REDIS_URL": "redis://cache.example:6379/0",
    "INTERNAL_GRPC_TOKEN": "t" * 40,
}


def build(**kwargs):
    return service_settings(service="users", base_dir=Path("/srv"), apps=[], **kwargs)


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("STRATA_ENV", "production")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_production_refuses_to_start_without_a_secret(production, missing):
    production.delenv(missing)
    with pytest.raises(ImproperlyConfigured, match=missing):
        build()


def test_production_requires_service_specific_secrets(production):
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
        build(required_secrets=("FIELD_ENCRYPTION_KEYS",))


def test_production_turns_on_transport_security(production):
    settings = build()
    assert settings["DEBUG"] is False
    assert settings["SECURE_HSTS_SECONDS"] > 0
    assert settings["SESSION_COOKIE_SECURE"]
    assert settings["CSRF_COOKIE_SECURE"]
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["CORS_ALLOWED_ORIGINS"] == []
    assert settings["ALLOWED_HOSTS"] == []


def test_production_ignores_debug_flag(production):
    production.setenv("DJANGO_DEBUG", "1")
    assert build()["DEBUG"] is False


def test_development_has_dev_defaults(monkeypatch):
    monkeypatch.setenv("STRATA_ENV", "development")
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    settings = build()
    assert settings["SECRET_KEY"].startswith("strata-dev-only")
    assert settings["DATABASES"]["default"]["USER"] == "users"
    assert settings["DATABASES"]["default"]["PORT"] == 55432


def test_database_uses_the_service_schema(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", SECRETS["DATABASE_URL"])
    database = build()["DATABASES"]["default"]
    assert database["OPTIONS"]["options"] == "-c search_path=users"
    assert database["HOST"] == "db.example"
    assert database["TEST"]["NAME"] == "test_strata_users"


def test_unknown_mode_is_rejected(monkeypatch):
    monkeypatch.setenv("STRATA_ENV", "prod")
    with pytest.raises(ImproperlyConfigured, match="STRATA_ENV"):
        build()


def test_celery_is_configured_for_no_loss():
    settings = build()
    assert settings["CELERY_TASK_ACKS_LATE"] is True
    assert settings["CELERY_TASK_REJECT_ON_WORKER_LOST"] is True
    assert settings["CELERY_WORKER_PREFETCH_MULTIPLIER"] == 1
    assert settings["CELERY_ACCEPT_CONTENT"] == ["json"]
    assert settings["CELERY_TASK_DEFAULT_QUEUE"] == "users"
    visibility = settings["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
    assert visibility > settings["CELERY_TASK_TIME_LIMIT"]


def test_throttle_rates_come_from_env_and_relax_a_hundredfold(monkeypatch):
    monkeypatch.setenv("AUTH_LOGIN_RATE_PER_IP", "5/min")
    assert throttle_rate("AUTH_LOGIN_RATE_PER_IP", "20/min") == "5/min"
    monkeypatch.setenv("STRATA_RELAXED_THROTTLES", "1")
    assert throttle_rate("AUTH_LOGIN_RATE_PER_IP", "20/min") == "500/min"
    monkeypatch.delenv("AUTH_LOGIN_RATE_PER_IP")
    assert throttle_rate("AUTH_LOGIN_RATE_PER_IP", "20/min") == "2000/min"
