"""The request id of the work in progress, shared by HTTP, gRPC, Celery and Channels code.

A contextvar rather than a thread-local so that asyncio tasks (Channels consumers) and
threads (gRPC, WSGI) each see their own value.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog

REQUEST_ID_HEADER = "X-Request-ID"
# gRPC metadata keys must be lower case.
REQUEST_ID_METADATA_KEY = "x-request-id"

# A client-supplied id is echoed only when it is short and made of safe characters, so it
# cannot inject into logs or headers.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

_request_id: ContextVar[str | None] = ContextVar("strata_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def sanitize_request_id(candidate: str | None) -> str:
    """Return ``candidate`` when it is a sane id, a fresh one otherwise."""
    if candidate and _SANE_REQUEST_ID.match(candidate):
        return candidate
    return new_request_id()


def get_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def bound_request_id(request_id: str | None) -> Iterator[str]:
    """Bind a (sanitised) request id for the duration of a unit of work.

    The id is visible through :func:`get_request_id` and in every structlog line.
    """
    value = sanitize_request_id(request_id)
    token = _request_id.set(value)
    with structlog.contextvars.bound_contextvars(request_id=value):
        try:
            yield value
        finally:
            _request_id.reset(token)
