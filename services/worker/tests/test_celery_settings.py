"""The Celery settings that keep a task from being lost, as Celery itself reads them."""

from __future__ import annotations

from django.conf import settings

from worker_service.celery import app


def test_a_task_is_acked_after_it_ran_and_requeued_when_its_process_dies():
    assert app.conf.task_acks_late is True
    # Without it a pool child killed mid-task (OOM, time limit) acks the task: lost.
    assert app.conf.task_reject_on_worker_lost is True


def test_a_worker_reserves_one_task_at_a_time():
    assert app.conf.worker_prefetch_multiplier == 1


def test_messages_are_json_only():
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == app.conf.result_serializer == "json"


def test_the_visibility_timeout_outlasts_the_longest_task_after_the_longest_countdown():
    # A retry waits its countdown in the worker, unacked; then it runs for up to the hard
    # time limit. Redis hands an unacked message to another worker after the visibility
    # timeout, so anything longer would run twice.
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    longest_countdown = settings.EVENTS_RETRY_BACKOFF_MAX
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert longest_countdown + app.conf.task_time_limit < timeout


def test_no_result_backend_needs_a_visibility_timeout_of_its_own():
    # Celery also reads visibility_timeout from result_backend_transport_options when the
    # result backend is Redis; there is none, and no task result is stored.
    assert app.conf.result_backend is None
    assert app.conf.task_ignore_result is True


def test_an_smtp_conversation_ends_well_within_the_soft_time_limit():
    # Connect, then each command and reply, may each take EMAIL_TIMEOUT.
    assert app.conf.task_soft_time_limit > settings.EMAIL_TIMEOUT * 6
