"""Celery beat entries for the event machinery of every service.

One beat (the worker service's) drives them; each entry runs on the queue of the service
that owns the data, so it runs with that service's code and database role.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from chassis.events.conf import PURGE_DELIVERED_TASK, PURGE_PROCESSED_TASK, RELAY_PENDING_TASK

# The sweep catches what the on-commit fast path could not send (a broker outage, a
# crash between commit and send); every two seconds keeps late events timely.
RELAY_SWEEP_SECONDS = 2.0


def events_beat_schedule(services: tuple[str, ...] | list[str]) -> dict[str, dict[str, Any]]:
    schedule: dict[str, dict[str, Any]] = {}
    for service in services:
        schedule[f"{service}.events.relay-pending"] = {
            "task": RELAY_PENDING_TASK,
            "schedule": RELAY_SWEEP_SECONDS,
            # A sweep that waited behind a backlog is stale: the next one will run.
            "options": {"queue": service, "expires": RELAY_SWEEP_SECONDS * 5},
        }
        schedule[f"{service}.events.purge-delivered"] = {
            "task": PURGE_DELIVERED_TASK,
            "schedule": crontab(minute=17, hour=3),
            "options": {"queue": service},
        }
        schedule[f"{service}.events.purge-processed"] = {
            "task": PURGE_PROCESSED_TASK,
            "schedule": crontab(minute=27, hour=3),
            "options": {"queue": service},
        }
    return schedule
