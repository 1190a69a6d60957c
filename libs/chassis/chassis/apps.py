from __future__ import annotations

from django.apps import AppConfig


class ChassisConfig(AppConfig):
    name = "chassis"
    verbose_name = "Strata chassis"

    def ready(self) -> None:
        from chassis.auth import schema  # noqa: F401 - registers the bearer scheme
        from chassis.observability.sentry import init_sentry

        init_sentry()
