"""Database calls from async code (the consumer), with connection upkeep that works.

``channels.db.database_sync_to_async`` closes stale connections (``CONN_MAX_AGE``, broken
ones) around the call, from outside the call. Under asgiref 3.13 that close did not see the
connection the call had used, in our consumer: the thread kept one connection past its
maximum age and never health-checked it again, so a database restart would have left
posting broken until the process restarted. Closing from inside the call sees it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from channels.db import database_sync_to_async
from django.db import close_old_connections

P = ParamSpec("P")
R = TypeVar("R")


def database_call(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """``func`` run in Django's database thread, with stale connections closed around it."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return database_sync_to_async(run)
