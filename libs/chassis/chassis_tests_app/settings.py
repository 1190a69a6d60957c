from pathlib import Path

from chassis.settings import service_settings

globals().update(
    service_settings(
        service="chassis_tests",
        base_dir=Path(__file__).resolve().parent,
        apps=["chassis_tests_app"],
    )
)
ROOT_URLCONF = "chassis_tests_app.urls"
DEBUG = False
