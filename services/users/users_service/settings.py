"""Settings of the users service: the chassis block plus what is the service's own."""

from pathlib import Path

from chassis.settings import env, service_settings

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    service_settings(
        service="users",
        base_dir=BASE_DIR,
        apps=["users_service.profiles"],
        required_secrets=(
            "FIELD_ENCRYPTION_KEYS",
            "FIELD_ENCRYPTION_ACTIVE_KEY",
            "BLIND_INDEX_KEY",
        ),
        asgi=False,
    )
)

GRPC_SERVICERS = ["users_service.profiles.grpc.user_directory"]

# How long a profile may wait for auth's auth.user_registered before the reconciliation
# takes it for the leftover of a failed registration. Longer than any relay delay short
# of an outage; a later event brings the profile back (profile_complete_registration).
USERS_REGISTRATION_GRACE_SECONDS = env.int("USERS_REGISTRATION_GRACE_SECONDS", default=3600)
