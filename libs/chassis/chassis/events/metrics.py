"""Event metrics beyond the shared counters of :mod:`chassis.observability.metrics`."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RELAY_FAILURES = Counter(
    "strata_events_relay_failures_total",
    "Outbox rows that could not be sent to the broker (left for the next sweep), by type.",
    ["event_type"],
)
OUTBOX_PENDING = Gauge(
    "strata_events_outbox_pending",
    "Outbox rows not yet delivered, as counted by the last relay sweep.",
    multiprocess_mode="mostrecent",
)
DEAD_LETTERS_REPLAYED = Counter(
    "strata_events_dead_letters_replayed_total",
    "Dead letters sent back to their handler, by type.",
    ["event_type"],
)
