"""Prometheus metrics shared by every service, safe under several worker processes.

With ``PROMETHEUS_MULTIPROC_DIR`` set (the HTTP servers and Celery run several processes),
prometheus-client writes each process's values to files in that directory and
:func:`render_latest` merges them; without it, the process's own registry is served.
"""

from __future__ import annotations

import os
import re

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests handled, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

EVENTS_PUBLISHED = Counter(
    "strata_events_published_total", "Events written to the outbox, by type.", ["event_type"]
)
EVENTS_RELAYED = Counter(
    "strata_events_relayed_total", "Outbox rows sent to the broker, by type.", ["event_type"]
)
EVENTS_CONSUMED = Counter(
    "strata_events_consumed_total",
    "Events handled, by type and outcome (handled, duplicate).",
    ["event_type", "outcome"],
)
EVENTS_FAILED = Counter(
    "strata_events_failed_total",
    "Event handler failures, by type and whether the event was dead-lettered.",
    ["event_type", "dead_lettered"],
)

CONTENT_TYPE = CONTENT_TYPE_LATEST

_UNMATCHED = "<unmatched>"
_REGEX_NOISE = re.compile(r"[\^$]|/\?|\\")
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def route_label(route: str | None) -> str:
    """A low-cardinality label for a URL pattern.

    Regex routes (used for optional trailing slashes) lose their anchors and the optional
    slash, and their named groups read like path converters, so
    ``^api/v1/users/(?P<user_id>[0-9a-f-]{36})/?$`` becomes ``/api/v1/users/<user_id>``.
    """
    if not route:
        return _UNMATCHED
    return "/" + _REGEX_NOISE.sub("", _NAMED_GROUP.sub(r"<\1>", route)).strip("/")


def render_latest() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
