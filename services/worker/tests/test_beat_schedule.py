"""The worker's beat drives every service's event sweeps on that service's own queue."""

from django.conf import settings

from chassis.events.conf import RELAY_PENDING_TASK
from chassis.settings import SERVICES


def test_every_service_sweeps_its_outbox_on_its_own_queue():
    relays = {
        entry["options"]["queue"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == RELAY_PENDING_TASK
    }
    assert relays == set(SERVICES)


def test_sweeps_run_every_few_seconds():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        if entry["task"] == RELAY_PENDING_TASK:
            assert entry["schedule"] <= 2.0
