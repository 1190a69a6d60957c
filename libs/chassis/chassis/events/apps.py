from __future__ import annotations

from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "chassis.events"
    label = "strata_events"
    verbose_name = "Strata events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Every installed app's ``handlers`` module registers its @subscribe functions.
        autodiscover_modules("handlers")
