from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from auth_service.celery import app as celery_app
from auth_service.keys.services import forget_signing_key
from chassis.grpc.client import close_channels
from chassis.grpc.testing import running_server
from strata.users.v1 import user_directory_pb2_grpc as users_grpc
from tests.factories import Account, make_account
from tests.users_double import InMemoryUserDirectory


@pytest.fixture(autouse=True)
def _cheap_hashing(settings: Any) -> None:
    """Argon2id at its smallest cost: the suite hashes hundreds of passwords.

    Production's cost is checked in test_settings; the code path is the same.
    """
    settings.ARGON2_TIME_COST = 1
    settings.ARGON2_MEMORY_KIB = 8
    settings.ARGON2_PARALLELISM = 1


@pytest.fixture(autouse=True)
def _no_remembered_signing_key() -> None:
    """Each test's database starts without keys: a key remembered from another is gone."""
    forget_signing_key()


@pytest.fixture(autouse=True)
def _tasks_run_inline() -> Iterator[None]:
    """Celery tasks sent by the code under test run at once, in the test's process."""
    conf = celery_app.conf
    previous = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    yield
    conf.task_always_eager, conf.task_eager_propagates = previous


@pytest.fixture(scope="session")
def _users_server() -> Iterator[tuple[InMemoryUserDirectory, int]]:
    double = InMemoryUserDirectory()
    registration = (users_grpc.add_UserDirectoryServicer_to_server, double)
    with running_server(servicers=[registration]) as server:
        yield double, server.port
    close_channels()


@pytest.fixture(autouse=True)
def users(_users_server: tuple[InMemoryUserDirectory, int], settings: Any) -> InMemoryUserDirectory:
    """The users service auth talks to: an in-memory double on a real gRPC server."""
    double, port = _users_server
    double.reset()
    settings.GRPC_TARGETS = {**settings.GRPC_TARGETS, "users": f"127.0.0.1:{port}"}
    return double


@pytest.fixture
def users_down(settings: Any) -> Callable[[], None]:
    """``users_down()`` points auth at a loopback port nobody listens on."""

    def take_down() -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        settings.GRPC_TARGETS = {**settings.GRPC_TARGETS, "users": f"127.0.0.1:{port}"}

    return take_down


@pytest.fixture
def account(db: None, users: InMemoryUserDirectory) -> Callable[..., Account]:
    """``account(role="admin")``: a registered account (credential here, profile in users)."""

    def make(**fields: Any) -> Account:
        return make_account(users=users, **fields)

    return make


@pytest.fixture
def auth_jwks(live_server: Any, settings: Any, transactional_db: None) -> Any:
    """Verify access tokens against auth's own JWKS, served by a live auth server.

    Tests that use it run outside a test transaction, so that the server's thread sees
    what they commit (signing keys first of all).
    """
    settings.AUTH_JWKS_URL = f"{live_server.url}/.well-known/jwks.json"
    settings.AUTH_JWKS_REFETCH_COOLDOWN_SECONDS = 0
    return live_server


@pytest.fixture
def api_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()
