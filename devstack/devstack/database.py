"""Database bootstrap: one database, and per service a schema and a least-privileged role.

Each service's role owns its schema, finds it first on its ``search_path``, may connect to
the database and do nothing else: no rights on the other services' schemas, no CREATE on
the database, none on ``public``. Every statement is safe to run again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

SERVICES: tuple[str, ...] = ("auth", "users", "chat", "worker")
DATABASE = "strata"

# Serialises concurrent bootstraps (parallel test suites) on one server.
_LOCK_KEY = 0x5354_5241  # "STRA"


def bootstrap_database(
    superuser_url: str,
    *,
    database: str = DATABASE,
    services: Sequence[str] = SERVICES,
    passwords: Mapping[str, str] | None = None,
) -> None:
    """Create ``database`` and, for each service, its schema and login role.

    ``superuser_url`` may name any database on the server; only its credentials and
    address are used. ``passwords`` (service -> password) sets role passwords, needed when
    the server does not trust loopback connections as the embedded one does.
    """
    create_database(superuser_url, database)
    with psycopg.connect(with_database(superuser_url, database)) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        db = sql.Identifier(database)
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db))
        for service in services:
            _bootstrap_service(conn, db, service, (passwords or {}).get(service))


def create_database(superuser_url: str, database: str) -> None:
    # CREATE DATABASE cannot run inside a transaction block.
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if exists.fetchone() is None:
            # A concurrent bootstrap may create it between the check and here.
            with suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def _bootstrap_service(
    conn: psycopg.Connection[tuple[object, ...]],
    db: sql.Identifier,
    service: str,
    password: str | None,
) -> None:
    role = sql.Identifier(service)
    found = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (service,)).fetchone()
    if found is None:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(role)
        )
    else:
        conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(role))
    if password is not None:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(password)))
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {0} AUTHORIZATION {0}").format(role))
    # A schema made earlier by someone else still ends up the service's own.
    conn.execute(sql.SQL("ALTER SCHEMA {0} OWNER TO {0}").format(role))
    conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(role))
    conn.execute(sql.SQL("ALTER ROLE {0} SET search_path TO {0}").format(role))
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, role))


def role_url(
    superuser_url: str,
    role: str,
    *,
    password: str | None = None,
    database: str = DATABASE,
) -> str:
    """The URL a service uses: ``superuser_url``'s server and options, the service's role."""
    parts = urlsplit(superuser_url)
    address = parts.netloc.rpartition("@")[2]
    credentials = quote(role, safe="")
    if password is not None:
        credentials += ":" + quote(password, safe="")
    return urlunsplit(
        (parts.scheme, f"{credentials}@{address}", "/" + quote(database), parts.query, "")
    )


def redact_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***`` (for printing)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, address = parts.netloc.rpartition("@")
    name = user.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{name}:***@{address}"))


def with_database(url: str, database: str) -> str:
    """``url`` pointing at ``database`` instead of the one it names."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(database)))
