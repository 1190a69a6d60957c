"""The worker's beat drives every service's event sweeps on that service's own queue."""

import pytest
from django.conf import settings

from chassis.events.conf import PURGE_DELIVERED_TASK, PURGE_PROCESSED_TASK, RELAY_PENDING_TASK
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


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("auth.purge_expired_sessions", "auth"),
        ("auth.purge_spent_reset_tokens", "auth"),
        ("users.reconcile_registrations", "users"),
        ("worker.purge_notifications", "worker"),
        (PURGE_DELIVERED_TASK, "chat"),
        (PURGE_PROCESSED_TASK, "users"),
    ],
)
def test_each_periodic_job_runs_on_the_queue_of_the_service_that_owns_its_data(task, queue):
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task]
    assert queue in {entry["options"]["queue"] for entry in entries}


def test_every_job_is_dropped_rather_than_run_late_after_an_outage():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if entry["task"] in (PURGE_DELIVERED_TASK, PURGE_PROCESSED_TASK):
            continue  # the chassis's daily purges: running late is harmless
        assert 0 < entry["options"]["expires"] <= 3600, name


def test_leftover_profiles_go_within_ten_minutes_of_turning_an_hour_old():
    (entry,) = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "users.reconcile_registrations"
    ]
    assert entry["schedule"] <= 600
