"""The users service's periodic job, sent to its queue by the platform's beat."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from chassis.periodic import USERS_RECONCILE_REGISTRATIONS
from users_service.profiles.services import profiles_delete_unregistered


@shared_task(name=USERS_RECONCILE_REGISTRATIONS)
def reconcile_registrations_task() -> int:
    """Delete profiles left without a credential for ``USERS_REGISTRATION_GRACE_SECONDS``."""
    grace = timedelta(seconds=settings.USERS_REGISTRATION_GRACE_SECONDS)
    return profiles_delete_unregistered(older_than=grace)
