"""Sessions, CSRF, login, messages and framing apply to the admin and to nothing else."""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chassis.testing.tokens import mint_access_token

pytestmark = pytest.mark.django_db


def test_api_requests_carry_no_session_csrf_or_framing_machinery():
    client = Client(enforce_csrf_checks=True)
    token = mint_access_token(user_id=uuid.uuid4())
    response = client.post(
        "/echo",
        {"name": "ada", "age": 36},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200  # no CSRF token needed
    assert not response.cookies
    assert "X-Frame-Options" not in response
    assert not hasattr(response.wsgi_request, "session")


def test_the_admin_has_them_all():
    client = Client(enforce_csrf_checks=True)
    page = client.get("/admin/login/")
    assert page.status_code == 200
    assert page["X-Frame-Options"] == "DENY"
    assert "csrftoken" in page.cookies

    User.objects.create_superuser("ops", "ops@example.com", "a-long-test-password")
    credentials = {"username": "ops", "password": "a-long-test-password"}
    # Without the CSRF token the login form is refused...
    assert client.post("/admin/login/", credentials).status_code == 403
    # ...with it, the operator is signed in by a session.
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert csrf is not None
    signed_in = client.post(
        "/admin/login/?next=/admin/", {**credentials, "csrfmiddlewaretoken": csrf.group(1).decode()}
    )
    assert signed_in.status_code == 302
    assert "sessionid" in signed_in.cookies
    assert client.get("/admin/strata_events/deadletter/").status_code == 200
