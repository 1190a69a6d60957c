from chassis.celery import create_celery_app

app = create_celery_app("worker")
