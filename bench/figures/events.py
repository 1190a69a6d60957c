"""Figure 5: events, from the producer's commit to the consumer's handler.

``users.user_updated`` events at a fixed rate, relayed to chat's queue and handled by
chat's Celery worker. The budgeted row publishes them from the users service's own code
(``bench/producers/publish_events.py``: ``publish()`` in a transaction, the same
after-commit relay), so it measures the events machinery; a second row drives the same
events through ``PATCH /api/v1/users/me``, so it also carries the cost of the API that
produces them. Commit time is the outbox row's ``created_at`` (set in the transaction,
slightly before the commit: the figure errs long); handler time is the inbox row's
``processed_at`` (written as the handler starts). Both are read from Postgres after the
run, joined on the event id.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from functools import partial

import psycopg

from bench import k6
from bench.context import Context
from bench.figures import (
    Figure,
    Line,
    NotAvailable,
    Sample,
    Samples,
    Trial,
    TrialFailed,
    median_of,
    seconds,
)
from bench.results import Row, Target
from bench.servers import python_path
from bench.stack import http_json

P99_AT_RATE = Target("value", "<=", 250, "ms")
EVENT = "users.user_updated"
PRODUCER, CONSUMER = "users", "chat"
WAIT_SECONDS = 20  # for the last events to be handled after the load stops

# The producer's outbox (users) joined with the consumer's inbox (chat).
_LATENCIES = """
SELECT o.created_at, min(i.processed_at)
FROM users.strata_events_outboxevent o
LEFT JOIN chat.strata_events_processedevent i ON i.event_id = o.id
WHERE o.event_type = %s AND o.created_at >= %s
GROUP BY o.id, o.created_at
"""


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class EventsLatency(Figure):
    key = "events"
    needs = ("users", "auth", "chat")

    def lines(self, ctx: Context) -> list[Line]:
        rate = ctx.profile.events_rate
        return [
            Line(f"events commit -> handler p99 at {rate}/s", "ms", P99_AT_RATE),
            Line(f"events via PATCH /users/me at {rate}/s: p99", "ms"),
        ]

    def prepare(self, ctx: Context) -> None:
        users = ctx.seeder.users(ctx.profile.read_users)
        self.tokens = ctx.json_file("events-tokens.json", [u.access_token for u in users])
        self.user_ids = ctx.json_file("events-user-ids.json", [u.id for u in users])
        self.url = ctx.stack.endpoints.http("users") + "/api/v1/users/me"
        self.database = ctx.stack.superuser_url()
        # One event first: is there a handler in the consumer at all?
        since = self._now()
        status, body = http_json(
            "PATCH",
            self.url,
            {"name": f"Load Tester probe {time.time():.3f}"},
            token=users[0].access_token,
        )
        if status != 200:
            raise RuntimeError(f"PATCH /users/me answered {status}: {body}")
        _, handled = self._collect(since, wait=10)
        if not handled:
            raise NotAvailable(f"no {CONSUMER} handler ran for {EVENT} within 10 s")

    def _now(self) -> datetime:
        with psycopg.connect(self.database) as conn:
            row = conn.execute("SELECT now()").fetchone()
        assert row is not None
        moment: datetime = row[0]
        return moment

    def _collect(self, since: datetime, *, wait: float) -> tuple[int, list[float]]:
        """(events committed since ``since``, latencies in ms of those handled)."""
        deadline = time.monotonic() + wait
        while True:
            with psycopg.connect(self.database) as conn:
                rows = conn.execute(_LATENCIES, (EVENT, since)).fetchall()
            handled = [(done - made).total_seconds() * 1000 for made, done in rows if done]
            if len(handled) == len(rows) or time.monotonic() > deadline:
                return len(rows), handled
            time.sleep(0.5)

    def _measure_outbox(self, ctx: Context) -> Sample:
        since = self._now()
        stack = ctx.stack
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "users_service.settings",
            "DATABASE_URL": stack.service_database_url(PRODUCER),
            "REDIS_URL": stack.redis_url(),
            "PYTHONPATH": python_path(ctx.repo),
        }
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.producers.publish_events",
                "--rate",
                str(ctx.profile.events_rate),
                "--seconds",
                str(ctx.profile.events_seconds),
                "--user-ids",
                str(self.user_ids),
            ],
            cwd=ctx.repo / "services" / PRODUCER,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise TrialFailed(f"the producer failed: {done.stderr[-500:]}")
        return self._latencies(since, ctx)

    def _latencies(self, since: datetime, ctx: Context) -> Sample:
        committed, handled = self._collect(since, wait=WAIT_SECONDS)
        if not handled:
            raise TrialFailed(f"none of {committed} events was handled in {WAIT_SECONDS}s")
        return {
            "p99": _percentile(handled, 0.99),
            "p50": _percentile(handled, 0.50),
            "committed": committed,
            "unhandled": committed - len(handled),
            "rate": committed / ctx.profile.events_seconds,
        }

    def _measure_api(self, ctx: Context) -> Sample:
        since = self._now()
        summary = k6.run(
            "patch_me.js",
            {
                "URL": self.url,
                "TOKENS": self.tokens,
                "RATE": ctx.profile.events_rate,
                "RUN": f"{time.time():.0f}",
                "DURATION": seconds(ctx.profile.events_seconds),
            },
        )
        failed = summary.value("http_req_failed", "value", 0.0)
        if failed > 0.01:
            raise TrialFailed(f"{failed:.1%} of the PATCH requests failed")
        sample = self._latencies(since, ctx)
        sample["http_p50"] = summary.value("http_req_duration", "med")
        return sample

    def trials(self, ctx: Context, repetition: int, samples: Samples) -> list[Trial]:
        return [
            Trial("outbox", partial(self._measure_outbox, ctx)),
            Trial("api", partial(self._measure_api, ctx)),
        ]

    def rows(self, ctx: Context, samples: Samples) -> list[Row]:
        rate = ctx.profile.events_rate
        outbox = Row(
            figure=f"events commit -> handler p99 at {rate}/s",
            unit="ms",
            strata=median_of(samples, "outbox", "p99"),
            target=P99_AT_RATE,
            note=_notes(samples, "outbox"),
        )
        api = Row(
            figure=f"events via PATCH /users/me at {rate}/s: p99",
            unit="ms",
            strata=median_of(samples, "api", "p99"),
            note=_notes(samples, "api"),
        )
        return [outbox, api]


def _notes(samples: Samples, trial: str) -> str:
    notes = []
    p50 = median_of(samples, trial, "p50")
    if p50 is not None:
        notes.append(f"p50 {p50:.0f} ms")
    rate = median_of(samples, trial, "rate")
    if rate is not None:
        notes.append(f"{rate:.0f} events/s committed")
    http = median_of(samples, trial, "http_p50")
    if http is not None:
        notes.append(f"PATCH p50 {http:.0f} ms")
    unhandled = sum(s.get("unhandled", 0) for s in samples.get(trial, []))
    if unhandled:
        notes.append(f"{unhandled:.0f} not handled within {WAIT_SECONDS}s of the end")
    return ", ".join(notes)
