"""Settings of the auth service: the chassis block plus what is the service's own.

Everything is read from the environment here, once; the README's configuration table
lists every variable.
"""

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from chassis.settings import PRODUCTION, env, service_settings, strata_env, throttle_rate

BASE_DIR = Path(__file__).resolve().parent.parent

_production = strata_env() == PRODUCTION

_base: dict[str, Any] = service_settings(
    service="auth",
    base_dir=BASE_DIR,
    apps=["auth_service.accounts", "auth_service.keys"],
    # Signing keys are sealed with the field-encryption keyring; reset tokens travel
    # sealed with the event-secrets key.
    required_secrets=("FIELD_ENCRYPTION_KEYS", "FIELD_ENCRYPTION_ACTIVE_KEY", "EVENT_SECRETS_KEY"),
    asgi=False,
)

# Per-client-IP rates (DRF "N/period"), raised a hundredfold by STRATA_RELAXED_THROTTLES.
# The failed-login lockout below is deliberately not among them.
_base["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"] = {
    "auth.login": throttle_rate("AUTH_LOGIN_RATE_PER_IP", "20/min"),
    "auth.register": throttle_rate("AUTH_REGISTER_RATE_PER_IP", "30/hour"),
    "auth.refresh": throttle_rate("AUTH_REFRESH_RATE_PER_IP", "60/min"),
    "auth.password_reset": throttle_rate("AUTH_PASSWORD_RESET_RATE_PER_IP", "10/hour"),
    # Per address, whether or not it is registered: no mail-bombing one inbox.
    "auth.password_reset_email": throttle_rate("AUTH_PASSWORD_RESET_RATE_PER_EMAIL", "5/hour"),
    "auth.password_reset_confirm": throttle_rate(
        "AUTH_PASSWORD_RESET_CONFIRM_RATE_PER_IP", "20/hour"
    ),
    # Per user: an access token alone must not become a password-guessing oracle.
    "auth.password_change": throttle_rate("AUTH_PASSWORD_CHANGE_RATE_PER_USER", "10/hour"),
}

globals().update(_base)

# Where the client address comes from: the header the gateway sets (and overwrites),
# as a Django META key. A client's own X-Forwarded-For is never read.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="HTTP_X_REAL_IP")

# Passwords: Argon2id only (hashes of other algorithms could not be verified anyway).
PASSWORD_HASHERS = ["auth_service.accounts.hashers.StrataArgon2PasswordHasher"]
ARGON2_TIME_COST = env.int("AUTH_ARGON2_TIME_COST", default=2)
ARGON2_MEMORY_KIB = env.int("AUTH_ARGON2_MEMORY_KIB", default=19456)
ARGON2_PARALLELISM = env.int("AUTH_ARGON2_PARALLELISM", default=1)

# OWASP's Argon2id configurations (memory in KiB, iterations); each is as strong as the
# others. Production must meet at least one.
_OWASP_ARGON2 = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))
if _production and not any(
    memory <= ARGON2_MEMORY_KIB and time <= ARGON2_TIME_COST for memory, time in _OWASP_ARGON2
):
    raise ImproperlyConfigured(
        "AUTH_ARGON2_MEMORY_KIB and AUTH_ARGON2_TIME_COST are below OWASP's minimum "
        "(e.g. 19456 KiB with 2 iterations)."
    )

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {
        "NAME": "auth_service.accounts.passwords.MaximumLengthValidator",
        "OPTIONS": {"max_length": PASSWORD_MAX_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["email", "name"]},
    },
]

# Refresh tokens and password-reset tokens.
REFRESH_TOKEN_TTL_SECONDS = env.int("AUTH_REFRESH_TOKEN_TTL_SECONDS", default=7 * 24 * 3600)
PASSWORD_RESET_TOKEN_TTL_SECONDS = env.int("AUTH_PASSWORD_RESET_TTL_SECONDS", default=3600)

# Failed-login lockout per account (normalised email, registered or not), in the manner of
# Keycloak's brute-force detection. Never relaxed by STRATA_RELAXED_THROTTLES.
LOCKOUT_THRESHOLD = env.int("AUTH_LOCKOUT_THRESHOLD", default=10)
LOCKOUT_WINDOW_SECONDS = env.int("AUTH_LOCKOUT_WINDOW_SECONDS", default=900)
LOCKOUT_BASE_WAIT_SECONDS = env.int("AUTH_LOCKOUT_BASE_WAIT_SECONDS", default=30)
LOCKOUT_MAX_WAIT_SECONDS = env.int("AUTH_LOCKOUT_MAX_WAIT_SECONDS", default=900)

# Signing keys. New keys use AUTH_SIGNING_ALGORITHM; the first key may come from a PEM.
SIGNING_ALGORITHM = env.str("AUTH_SIGNING_ALGORITHM", default="ES256")
if SIGNING_ALGORITHM not in ("ES256", "RS256", "EdDSA"):
    raise ImproperlyConfigured("AUTH_SIGNING_ALGORITHM must be ES256, RS256 or EdDSA.")
SIGNING_KEY_PEM = env.str("AUTH_SIGNING_KEY_PEM", default="")

# The public base URL of the platform for the discovery document (derived from the
# request when empty).
AUTH_PUBLIC_URL = env.str("AUTH_PUBLIC_URL", default="")

# The dev stack's seeded administrator (seed_dev_admin refuses to run in production).
DEV_ADMIN_EMAIL = env.str("STRATA_DEV_ADMIN_EMAIL", default="admin@strata.local")
DEV_ADMIN_PASSWORD = env.str(
    "STRATA_DEV_ADMIN_PASSWORD", default="" if _production else "strata-dev-admin"
)

GRPC_SERVICERS = ["auth_service.accounts.grpc.auth_service"]
