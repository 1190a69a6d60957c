"""The bootstrap gives every service its own schema and nothing else."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from chassis.embedded import EmbeddedPostgres
from devstack.database import DATABASE, bootstrap_database, redact_url, role_url, with_database


@pytest.fixture(scope="module")
def superuser_url(postgres: EmbeddedPostgres) -> str:
    url = postgres.url()
    bootstrap_database(url)
    return url


def _connect(superuser_url: str, role: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(role_url(superuser_url, role), autocommit=True)


def _table() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def test_a_role_cannot_read_another_services_schema(superuser_url: str) -> None:
    table = _table()
    with _connect(superuser_url, "users") as users:
        users.execute(f"CREATE TABLE {table} (secret text)")
        users.execute(f"INSERT INTO {table} VALUES ('pii')")
    with (
        _connect(superuser_url, "chat") as chat,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        chat.execute(f"SELECT * FROM users.{table}")


def test_a_role_creates_tables_in_its_own_schema(superuser_url: str) -> None:
    table = _table()
    with _connect(superuser_url, "chat") as chat:
        chat.execute(f"CREATE TABLE {table} (id int)")
        row = chat.execute(
            "SELECT schemaname FROM pg_tables WHERE tablename = %s", (table,)
        ).fetchone()
    assert row == ("chat",)


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE public.{table} (id int)",
        "CREATE TABLE users.{table} (id int)",
        "CREATE SCHEMA {table}",
        "CREATE TEMPORARY TABLE {table} (id int)",
    ],
)
def test_a_role_cannot_create_outside_its_schema(superuser_url: str, statement: str) -> None:
    with (
        _connect(superuser_url, "chat") as chat,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        chat.execute(statement.format(table=_table()))


def test_bootstrap_is_idempotent_and_keeps_data(superuser_url: str) -> None:
    table = _table()
    with _connect(superuser_url, "worker") as worker:
        worker.execute(f"CREATE TABLE {table} (id int)")
        worker.execute(f"INSERT INTO {table} VALUES (1)")
    bootstrap_database(superuser_url)
    bootstrap_database(superuser_url)
    with _connect(superuser_url, "worker") as worker:
        assert worker.execute(f"SELECT id FROM {table}").fetchall() == [(1,)]
        assert worker.execute("SHOW search_path").fetchone() == ("worker",)
    with (
        _connect(superuser_url, "chat") as chat,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        chat.execute(f"SELECT * FROM worker.{table}")


def test_passwords_are_set_when_given(superuser_url: str) -> None:
    bootstrap_database(superuser_url, services=("auth",), passwords={"auth": "s3cret"})
    with psycopg.connect(with_database(superuser_url, DATABASE)) as admin:
        row = admin.execute(
            "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'auth'"
        ).fetchone()
    assert row == (True,)


def test_role_url_keeps_the_server_and_its_options() -> None:
    url = role_url(
        "postgresql://postgres:pw@db.example:6543/postgres?sslmode=require",
        "chat",
        password="p@ss/word",
    )
    assert url == "postgresql://chat:p%40ss%2Fword@db.example:6543/strata?sslmode=require"
    assert redact_url(url) == "postgresql://chat:***@db.example:6543/strata?sslmode=require"
