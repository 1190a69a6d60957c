"""Settings of the users service: the chassis block plus what is the service's own."""

from pathlib import Path

from chassis.settings import service_settings

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
