"""Service functions: what they cost the database."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chassis.auth.roles import Role
from tests.factories import make_profile
from users_service.profiles.services import profile_create, profile_update

pytestmark = pytest.mark.django_db


def test_create_looks_up_the_id_and_the_email_once_each():
    with CaptureQueriesContext(connection) as queries:
        profile_create(
            profile_id=uuid.uuid4(), email="ada@example.com", name="Ada", phone=None, role=Role.USER
        )
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 2  # by id, by lower(email); full_clean repeats neither


def test_update_reads_nothing_back():
    profile = make_profile()
    with CaptureQueriesContext(connection) as queries:
        profile_update(profile=profile, name="Renamed")
    assert not [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
