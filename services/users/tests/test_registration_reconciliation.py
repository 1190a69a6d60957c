"""Registration reconciliation: auth's event completes a profile; leftovers go after an hour.

A register that fails after ``CreateUser`` leaves a profile that no credential matches.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chassis.events import Envelope
from chassis.events.consuming import consume
from chassis.testing.events import make_envelope
from tests.factories import make_profile
from users_service.profiles.models import Profile
from users_service.profiles.tasks import reconcile_registrations_task

pytestmark = pytest.mark.django_db


def registered(profile_id: uuid.UUID, *, email: str = "ada@example.com") -> Envelope:
    payload = {"user_id": str(profile_id), "email": email, "name": "Ada"}
    return make_envelope("auth.user_registered", payload, producer="auth")


def created_ago(profile: Profile, age: timedelta) -> Profile:
    Profile.objects.filter(pk=profile.pk).update(created_at=timezone.now() - age)
    profile.refresh_from_db()
    return profile


def test_auth_user_registered_is_routed_to_the_users_queue():
    assert "users" in settings.EVENT_ROUTES["auth.user_registered"]


def test_the_registered_event_completes_the_profile():
    profile = make_profile()
    assert profile.registration_completed_at is None

    assert consume(registered(profile.id, email=profile.email)) == []

    profile.refresh_from_db()
    assert profile.registration_completed_at is not None


def test_reconciliation_deletes_only_incomplete_profiles_older_than_an_hour():
    leftover = created_ago(make_profile(), timedelta(minutes=61))
    young = created_ago(make_profile(), timedelta(minutes=59))
    completed = created_ago(make_profile(), timedelta(days=3))
    consume(registered(completed.id, email=completed.email))

    assert reconcile_registrations_task() == 1

    remaining = set(Profile.objects.values_list("pk", flat=True))
    assert remaining == {young.pk, completed.pk}
    assert leftover.pk not in remaining


def test_reconciliation_deletes_with_the_condition_rechecked_in_the_statement():
    # Completion may commit while the reconciliation runs: the DELETE itself must say
    # "still incomplete", so that Postgres re-checks it on a row it had to wait for.
    created_ago(make_profile(), timedelta(hours=2))

    with CaptureQueriesContext(connection) as queries:
        reconcile_registrations_task()

    (delete,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert '"registration_completed_at" IS NULL' in delete


def test_a_registered_event_later_than_the_reconciliation_brings_the_profile_back():
    profile_id = uuid.uuid4()
    gone = created_ago(make_profile(profile_id=profile_id), timedelta(hours=2))
    reconcile_registrations_task()
    assert not Profile.objects.filter(pk=profile_id).exists()

    assert consume(registered(profile_id, email=gone.email)) == []

    back = Profile.objects.get(pk=profile_id)
    assert (back.email, back.name, back.role) == (gone.email, "Ada", "user")
    assert back.registration_completed_at is not None


def test_a_registered_event_delivered_twice_changes_nothing_the_second_time():
    profile = make_profile()
    event = registered(profile.id, email=profile.email)
    consume(event)
    profile.refresh_from_db()
    first = profile.registration_completed_at

    consume(event)

    profile.refresh_from_db()
    assert profile.registration_completed_at == first


@pytest.mark.django_db(transaction=True)
def test_profiles_that_existed_before_the_upgrade_count_as_registered():
    before = [("profiles", "0001_initial")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_profile = executor.loader.project_state(before).apps.get_model("profiles", "Profile")
    existing = old_profile.objects.create(id=uuid.uuid4(), email="old@example.com", name="Old")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    upgraded = Profile.objects.get(pk=existing.pk)
    assert upgraded.registration_completed_at == upgraded.created_at
