"""The test project's Celery app, made the way every service makes its own."""

from chassis.celery import create_celery_app

app = create_celery_app("chassis_tests")
