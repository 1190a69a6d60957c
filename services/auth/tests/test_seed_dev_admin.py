"""``manage.py seed_dev_admin``: the dev stack's administrator."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from auth_service.accounts.models import Credential
from chassis.events.models import OutboxEvent
from strata.users.v1 import user_directory_pb2 as users_pb
from tests.factories import login

pytestmark = pytest.mark.django_db


def seed():
    out = StringIO()
    call_command("seed_dev_admin", stdout=out)
    return out.getvalue()


def test_seeding_creates_an_admin_who_can_log_in(users, settings):
    assert "Created dev admin admin@strata.local" in seed()
    credential = Credential.objects.get()
    assert credential.email == "admin@strata.local"
    profile = users.get(credential.id)
    assert (profile.email, profile.role, profile.is_active) == (
        "admin@strata.local",
        users_pb.ROLE_ADMIN,
        True,
    )
    # The documented dev default, which the password rules would refuse, is accepted here.
    response = login(APIClient(), email="admin@strata.local", password=settings.DEV_ADMIN_PASSWORD)
    assert response.status_code == 200


def test_seeding_tells_users_the_registration_is_complete():
    seed()
    seed()
    credential = Credential.objects.get()
    events = OutboxEvent.objects.filter(event_type="auth.user_registered")
    assert events.count() == 2
    expected = {"user_id": str(credential.id), "email": credential.email, "name": credential.name}
    assert [e.payload for e in events] == [expected, expected]


def test_seeding_is_idempotent_and_takes_a_new_password(users, settings):
    seed()
    first = Credential.objects.get()
    settings.DEV_ADMIN_PASSWORD = "another dev password"
    assert "Updated dev admin" in seed()
    assert Credential.objects.get().pk == first.pk
    assert len(users) == 1
    assert (
        login(APIClient(), email="admin@strata.local", password="another dev password").status_code
        == 200
    )


def test_seeding_after_a_partial_failure_converges(users):
    """users has the profile but auth lost the credential: the same id is asked for again."""
    seed()
    Credential.objects.all().delete()
    seed()
    assert Credential.objects.count() == 1
    assert len(users) == 1


def test_seeding_refuses_to_run_in_production(settings):
    settings.STRATA_ENV = "production"
    with pytest.raises(CommandError, match="development only"):
        seed()
    assert not Credential.objects.exists()


def test_seeding_with_users_down_fails_clearly(users_down):
    users_down()
    with pytest.raises(CommandError, match="unavailable"):
        seed()
