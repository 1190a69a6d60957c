"""Settings of the users service: the chassis block plus what is the service's own."""

from pathlib import Path

from chassis.settings import service_settings

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    service_settings(
        service="users",
        base_dir=BASE_DIR,
        apps=[],
        asgi=False,
    )
)
