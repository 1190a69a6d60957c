"""Celery tasks of accounts, on auth's own queue."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from auth_service.accounts.services import password_reset_issue

ISSUE_PASSWORD_RESET_TASK = "strata.auth.issue_password_reset"  # noqa: S105 - a task name


@shared_task(
    name=ISSUE_PASSWORD_RESET_TASK,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def issue_password_reset(*, email: str) -> None:
    """Prepare the reset email of an address, if it has an account (see the service)."""
    password_reset_issue(email=email)
