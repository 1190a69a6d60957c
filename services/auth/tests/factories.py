"""Accounts made the way the API makes them: through the service, users over gRPC."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from rest_framework.test import APIClient

from auth_service.accounts.models import Credential
from auth_service.accounts.services import account_register
from tests.users_double import InMemoryUserDirectory

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


@dataclass
class Account:
    credential: Credential
    password: str

    @property
    def id(self) -> Any:
        return self.credential.id

    @property
    def email(self) -> str:
        return self.credential.email


def make_account(
    *,
    users: InMemoryUserDirectory,
    email: str | None = None,
    password: str = PASSWORD,
    name: str | None = None,
    role: str = "user",
    is_active: bool = True,
) -> Account:
    n = next(_numbers)
    registration = account_register(
        email=email or f"member{n}@example.com", password=password, name=name or f"Member {n}"
    )
    credential = registration.credential
    users.set_role(credential.id, role)
    users.set_active(credential.id, is_active)
    return Account(credential=credential, password=password)


def login(
    client: APIClient,
    account: Account | None = None,
    *,
    email: str = "",
    password: str = "",
    **extra: Any,
) -> Any:
    body = {
        "email": email or (account.email if account else ""),
        "password": password or (account.password if account else ""),
    }
    return client.post("/api/v1/auth/login", body, format="json", **extra)
