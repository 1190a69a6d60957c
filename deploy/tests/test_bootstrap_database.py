"""files/bootstrap-database.sh against a real Postgres (the dev stack's embedded one).

The script is what docker compose's Postgres and the chart's bootstrap hook both run.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from chassis.embedded import EmbeddedPostgres
from tests.conftest import CHART, SERVICES

SCRIPT = CHART / "files" / "bootstrap-database.sh"
PASSWORDS = {"auth": "p@ss:w/rd%", "users": "plain", "chat": "with space", "worker": "ü-nicode"}


def url(service: str) -> str:
    from urllib.parse import quote

    return f"postgresql://{service}:{quote(PASSWORDS[service], safe='')}@db.example.com:5432/strata"


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def bootstrap(server: EmbeddedPostgres) -> subprocess.CompletedProcess[str]:
    from pgserver._commands import POSTGRES_BIN_PATH

    env = {
        **os.environ,
        "PATH": f"{POSTGRES_BIN_PATH}:{os.environ['PATH']}",
        "PGHOST": server.host,
        "PGPORT": str(server.port),
        "PGUSER": "postgres",
        **{f"{s.upper()}_DATABASE_URL": url(s) for s in SERVICES},
    }
    return subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def bootstrapped(postgres: EmbeddedPostgres) -> EmbeddedPostgres:
    first = bootstrap(postgres)
    assert first.returncode == 0, first.stderr
    second = bootstrap(postgres)  # every upgrade runs it again
    assert second.returncode == 0, second.stderr
    # From here on, the service roles must log in with their passwords.
    hba = Path(postgres.data_dir) / "pg_hba.conf"
    rules = "".join(f"host strata {s} 127.0.0.1/32 scram-sha-256\n" for s in SERVICES)
    hba.write_text(rules + hba.read_text())
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
    return postgres


def connect(
    server: EmbeddedPostgres, service: str, password: str | None = None
) -> psycopg.Connection:
    return psycopg.connect(
        host=server.host,
        port=server.port,
        dbname="strata",
        user=service,
        password=PASSWORDS[service] if password is None else password,
        autocommit=True,
    )


@pytest.mark.parametrize("service", SERVICES)
def test_each_role_logs_in_with_the_password_of_its_url(bootstrapped, service):
    with connect(bootstrapped, service) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == service
    with pytest.raises(psycopg.OperationalError):
        connect(bootstrapped, service, password="wrong").close()


@pytest.mark.parametrize("service", SERVICES)
def test_each_role_works_in_its_own_schema_only(bootstrapped, service):
    with connect(bootstrapped, service) as conn:
        assert conn.execute("SHOW search_path").fetchone()[0] == service
        conn.execute("CREATE TABLE IF NOT EXISTS probe (id int)")
        owner = conn.execute(
            "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %s", (service,)
        )
        assert owner.fetchone()[0] == service
        for other in SERVICES:
            if other == service:
                continue
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f'CREATE TABLE "{other}".intruder (id int)')
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.intruder (id int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE SCHEMA sneaky")


def test_other_services_tables_are_out_of_reach(bootstrapped):
    with connect(bootstrapped, "users") as users:
        users.execute("CREATE TABLE IF NOT EXISTS secrets (id int)")
    with connect(bootstrapped, "chat") as chat, pytest.raises(psycopg.errors.InsufficientPrivilege):
        chat.execute("SELECT * FROM users.secrets")


def test_roles_have_no_special_powers(bootstrapped):
    with psycopg.connect(bootstrapped.url("strata")) as conn:
        rows = conn.execute(
            "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles"
            " WHERE rolname = ANY(%s)",
            (list(SERVICES),),
        ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(SERVICES)
    assert not any(any(r[1:]) for r in rows)
