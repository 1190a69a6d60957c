"""The Strata auth service."""

from auth_service.celery import app as celery_app

__all__ = ["celery_app"]
