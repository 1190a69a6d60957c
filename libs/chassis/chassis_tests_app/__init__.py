"""A minimal Django project that exercises the chassis the way a service does."""

from chassis_tests_app.celery import app as celery_app

__all__ = ["celery_app"]
