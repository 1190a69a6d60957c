from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.factories import make_profile


@pytest.fixture
def as_member(api_as: Callable[..., Any], db: None) -> Callable[..., Any]:
    """``as_member("admin")``: an API client whose token's user has a profile here."""

    def make(role: str = "user", **profile: Any) -> Any:
        client = api_as(role)
        client.profile = make_profile(role=role, profile_id=client.user_id, **profile)
        return client

    return make
