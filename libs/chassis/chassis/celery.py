"""The Celery app factory every service uses, with task metrics and worker liveness."""

from __future__ import annotations

import os
import time
from typing import Any

from celery import Celery, signals
from prometheus_client import Counter, Histogram

from chassis.celery_liveness import heartbeat_step, mark_ready

CELERY_TASKS = Counter(
    "celery_tasks_total",
    "Celery tasks by name and final state (succeeded, failed, retried).",
    ["task", "state"],
)
CELERY_TASK_RUNTIME = Histogram(
    "celery_task_duration_seconds", "Celery task run time, by task name.", ["task"]
)

_started: dict[str, float] = {}


def create_celery_app(service: str) -> Celery:
    """A Celery app named for ``service``, configured from Django's ``CELERY_*`` settings.

    Its default queue is the service's own; tasks are found in the service's apps and
    in ``chassis.events``.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{service}_service.settings")
    app = Celery(f"{service}_service")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.autodiscover_tasks()
    app.steps["worker"].add(heartbeat_step())
    return app


@signals.task_prerun.connect
def _task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    began = _started.pop(task_id or "", None)
    name = getattr(task, "name", "unknown")
    if began is not None:
        CELERY_TASK_RUNTIME.labels(name).observe(time.perf_counter() - began)
    CELERY_TASKS.labels(name, (state or "unknown").lower()).inc()


@signals.worker_ready.connect
def _mark_ready(sender: Any = None, **kwargs: Any) -> None:
    mark_ready()


@signals.worker_ready.connect
def _serve_metrics(sender: Any = None, **kwargs: Any) -> None:
    """Serve the worker's metrics (children included) on ``CELERY_METRICS_PORT``."""
    from django.conf import settings
    from prometheus_client import CollectorRegistry, start_http_server

    port = settings.CELERY_METRICS_PORT
    if not port:
        return
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        start_http_server(port, registry=registry)
    else:
        start_http_server(port)


@signals.worker_process_shutdown.connect
def _forget_dead_child(pid: int | None = None, **kwargs: Any) -> None:
    # A dead child's live gauges must not be summed into the worker's metrics.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and pid:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
