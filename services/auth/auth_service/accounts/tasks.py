"""Celery tasks of accounts, on auth's own queue.

The periodic ones are sent by name by the platform's beat (the worker service's); the
names are part of that contract.
"""

from __future__ import annotations

import structlog
from celery import shared_task
from django.db import DatabaseError

from auth_service.accounts.services import (
    password_reset_issue,
    reset_tokens_purge_spent,
    sessions_purge_expired,
)
from chassis.periodic import AUTH_PURGE_EXPIRED_SESSIONS, AUTH_PURGE_SPENT_RESET_TOKENS

logger = structlog.get_logger(__name__)

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


@shared_task(name=AUTH_PURGE_EXPIRED_SESSIONS)
def purge_expired_sessions() -> None:
    logger.info("refresh_sessions_purged", count=sessions_purge_expired())


@shared_task(name=AUTH_PURGE_SPENT_RESET_TOKENS)
def purge_spent_reset_tokens() -> None:
    logger.info("reset_tokens_purged", count=reset_tokens_purge_spent())
