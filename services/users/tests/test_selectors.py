"""Reads whose plans matter once the tables are large."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_profile
from users_service.profiles.selectors import profile_by_email

pytestmark = pytest.mark.django_db


def test_email_lookup_is_case_insensitive():
    profile = make_profile(email="Ada.Lovelace@Example.com")
    assert profile_by_email(email="ada.lovelace@example.COM") == profile
    assert profile_by_email(email="someone.else@example.com") is None


def test_email_lookup_uses_the_case_insensitive_unique_index():
    make_profile(email="ada@example.com")
    with CaptureQueriesContext(connection) as queries:
        profile_by_email(email="ADA@example.com")
    [query] = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # what a large table would choose
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "profile_email_ci_unique" in plan
