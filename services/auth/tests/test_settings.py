"""Auth's settings as the environment makes them, read in a fresh interpreter each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SERVICE_DIR = Path(__file__).resolve().parents[1]
PRODUCTION_SECRETS = {
    "STRATA_ENV": "production",
    "DJANGO_SECRET_KEY": "x" * 50,
    "DATABASE_URL": "postgresql://auth:pw@db:5432/strata",
    "REDIS_URL": "redis://redis:6379/0",
    "INTERNAL_GRPC_TOKEN": "internal",
    "FIELD_ENCRYPTION_KEYS": '{"k1": "c3RyYXRhLXRlc3Qtb25seS1maWVsZC1rZXktMzJieXQ="}',
    "FIELD_ENCRYPTION_ACTIVE_KEY": "k1",
    "EVENT_SECRETS_KEY": "c3RyYXRhLXRlc3Qtb25seS1ldmVudC1rZXktMzJieXRlcw==",
}
READ = (
    "import json, auth_service.settings as s;"
    "print(json.dumps({'rates': s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'],"
    " 'lockout': [s.LOCKOUT_THRESHOLD, s.LOCKOUT_WINDOW_SECONDS,"
    " s.LOCKOUT_BASE_WAIT_SECONDS, s.LOCKOUT_MAX_WAIT_SECONDS],"
    " 'argon2': [s.ARGON2_MEMORY_KIB, s.ARGON2_TIME_COST, s.ARGON2_PARALLELISM]}))"
)


def settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STRATA_", "AUTH_"))}
    return subprocess.run(
        [sys.executable, "-c", READ],
        cwd=SERVICE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_relaxed_throttles_raise_every_rate_but_not_the_lockout():
    normal = json.loads(settings_with().stdout)
    relaxed = json.loads(settings_with(STRATA_RELAXED_THROTTLES="1").stdout)
    assert normal["rates"]["auth.login"] == "20/min"
    assert relaxed["rates"]["auth.login"] == "2000/min"
    for scope, rate in normal["rates"].items():
        count, period = rate.split("/")
        assert relaxed["rates"][scope] == f"{int(count) * 100}/{period}"
    assert relaxed["lockout"] == normal["lockout"] == [10, 900, 30, 900]


def test_every_rate_and_lockout_number_comes_from_the_environment():
    custom = json.loads(
        settings_with(
            AUTH_LOGIN_RATE_PER_IP="5/min",
            AUTH_REGISTER_RATE_PER_IP="1/hour",
            AUTH_LOCKOUT_THRESHOLD="5",
            AUTH_LOCKOUT_MAX_WAIT_SECONDS="60",
        ).stdout
    )
    assert (custom["rates"]["auth.login"], custom["rates"]["auth.register"]) == ("5/min", "1/hour")
    assert custom["lockout"] == [5, 900, 30, 60]


def test_production_argon2_defaults_meet_owasp():
    result = settings_with(**PRODUCTION_SECRETS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["argon2"] == [19456, 2, 1]


def test_production_refuses_argon2_below_owasp():
    result = settings_with(
        **PRODUCTION_SECRETS, AUTH_ARGON2_MEMORY_KIB="8192", AUTH_ARGON2_TIME_COST="2"
    )
    assert result.returncode != 0
    assert "below OWASP" in result.stderr
    stronger = settings_with(
        **PRODUCTION_SECRETS, AUTH_ARGON2_MEMORY_KIB="47104", AUTH_ARGON2_TIME_COST="1"
    )
    assert stronger.returncode == 0, stronger.stderr


def test_production_refuses_to_start_without_its_secrets():
    for name in ("FIELD_ENCRYPTION_KEYS", "EVENT_SECRETS_KEY"):
        env = {k: v for k, v in PRODUCTION_SECRETS.items() if k != name}
        result = settings_with(**env)
        assert result.returncode != 0
        assert name in result.stderr
