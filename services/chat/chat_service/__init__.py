"""The Strata chat service."""

from chat_service.celery import app as celery_app

__all__ = ["celery_app"]
