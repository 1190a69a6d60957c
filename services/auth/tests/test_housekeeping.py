"""The periodic jobs the platform's beat sends to auth's queue."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from auth_service.accounts.models import PasswordResetToken, RefreshSession
from auth_service.accounts.services import reset_tokens_purge_spent, sessions_purge_expired
from auth_service.celery import app as celery_app
from tests.factories import login

pytestmark = pytest.mark.django_db


def test_every_job_beat_sends_to_auth_is_a_task_here():
    try:
        # Importing the worker's package creates its Celery app, which makes itself the
        # process's current one: auth's is put back below.
        from worker_service.beat import platform_beat_schedule  # type: ignore[import-untyped]
    finally:
        celery_app.set_current()
        celery_app.set_default()
    wanted = {
        job["task"]
        for job in platform_beat_schedule().values()
        if job.get("options", {}).get("queue") == "auth"
    }
    for module in ("auth_service.accounts.tasks", "chassis.events.tasks"):
        importlib.import_module(module)  # what the worker's autodiscovery does
    assert "auth.purge_expired_sessions" in wanted
    assert wanted <= set(celery_app.tasks)


def expire(queryset):
    queryset.update(expires_at=timezone.now() - timedelta(seconds=1))


def test_spent_tokens_of_a_live_family_are_kept_for_reuse_detection(account):
    client = APIClient()
    first = login(client, account()).json()["refresh_token"]
    second = client.post("/api/v1/auth/refresh", {"refresh_token": first}, format="json").json()
    expire(RefreshSession.objects.filter(rotated_at__isnull=False))
    assert sessions_purge_expired() == 0
    reused = client.post("/api/v1/auth/refresh", {"refresh_token": first}, format="json")
    assert reused.json()["code"] == "token_reused"
    assert second["refresh_token"]


def test_families_with_no_usable_token_are_deleted(account):
    client = APIClient()
    member = account()
    login(client, member)
    kept = login(client, member).json()["refresh_token"]
    oldest = RefreshSession.objects.earliest("created_at")
    expire(RefreshSession.objects.filter(family_id=oldest.family_id))
    assert sessions_purge_expired() == 1
    assert RefreshSession.objects.count() == 1
    assert (
        client.post("/api/v1/auth/refresh", {"refresh_token": kept}, format="json").status_code
        == 200
    )


def test_used_and_expired_reset_tokens_are_deleted(account):
    client = APIClient()
    member = account()
    for _ in range(3):
        client.post("/api/v1/auth/password/reset", {"email": member.email}, format="json")
    used, expired, live = PasswordResetToken.objects.order_by("created_at")
    PasswordResetToken.objects.filter(pk=used.pk).update(used_at=timezone.now())
    expire(PasswordResetToken.objects.filter(pk=expired.pk))
    assert reset_tokens_purge_spent() == 2
    assert list(PasswordResetToken.objects.values_list("pk", flat=True)) == [live.pk]
