"""The Strata worker service."""

from worker_service.celery import app as celery_app

__all__ = ["celery_app"]
