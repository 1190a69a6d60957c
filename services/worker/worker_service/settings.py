"""Settings of the worker service: the chassis block plus what is the service's own."""

from pathlib import Path

from chassis.events.schedule import events_beat_schedule
from chassis.settings import SERVICES, service_settings

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    service_settings(
        service="worker",
        base_dir=BASE_DIR,
        apps=[],
        asgi=False,
    )
)

# The platform's one beat: periodic jobs, each sent to the queue of the service owning it.
CELERY_BEAT_SCHEDULE = events_beat_schedule(SERVICES)
