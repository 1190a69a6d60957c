"""The run: prepare every figure, interleave their trials over the repetitions, print and
write the table.

Each repetition runs every figure's trials, Strata's and its baselines', one after the
other in an order that rotates between repetitions; a figure is the median of its
repetitions. A figure whose service has not landed (or whose preparation fails) gets rows
that say so instead of numbers.
"""

from __future__ import annotations

import signal
import time
import traceback
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from bench.context import Context, Profile
from bench.figures import Figure, NotAvailable, Sample, Samples
from bench.figures.events import EventsLatency
from bench.figures.fanout import ChatFanout
from bench.figures.grpc import GrpcGetUser
from bench.figures.idle import IdleWebSockets
from bench.figures.login import Login
from bench.figures.read import AuthenticatedRead
from bench.results import Report, Row, failed, say, text_table
from bench.stack import DevStack

FIGURES: tuple[type[Figure], ...] = (
    AuthenticatedRead,
    Login,
    GrpcGetUser,
    # Before the fan-out: its floods leave freed memory in the WebSocket processes that
    # idle sockets would then reuse, hiding their cost.
    IdleWebSockets,
    ChatFanout,
    EventsLatency,
)


def _stop_on_sigterm() -> None:
    def handle(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handle)


def _describe(sample: Sample) -> str:
    shown = []
    for key in ("rps", "deliveries_per_s", "p50", "p99", "kb_per_conn"):
        if key in sample:
            shown.append(f"{key} {sample[key]:,.1f}")
    return ", ".join(shown)


def run(
    *,
    repo: Path,
    profile: Profile,
    only: Sequence[str] = (),
    repetitions: int | None = None,
) -> int:
    """Run the benchmark; 0 when every figure was measured, 1 when one was not."""
    _stop_on_sigterm()
    if repetitions is not None:
        profile = replace(profile, repetitions=repetitions)
    results_dir = repo / "bench" / "results"
    started = datetime.now(UTC)
    figures = [cls() for cls in FIGURES if not only or cls.key in only]
    rows: list[Row] = []
    notes: list[str] = []
    with DevStack(repo, log_dir=results_dir / "logs") as stack:
        ctx = Context(repo=repo, profile=profile, stack=stack, results=results_dir)
        if not stack.relaxed:
            ctx.note("The dev stack ran without STRATA_RELAXED_THROTTLES=1.")
        try:
            rows = _measure(ctx, figures)
        finally:
            ctx.close()
        notes = ctx.notes
    report = Report(
        rows=rows,
        profile=profile.name,
        repetitions=profile.repetitions,
        started_at=started,
        finished_at=datetime.now(UTC),
        settings={k: v for k, v in vars(profile).items() if k != "name"},
        notes=notes,
    )
    print()
    print(text_table(rows))
    for note in notes:
        print(f"  - {note}")
    json_path, md_path = report.write(results_dir, repo)
    say(f"written {json_path.relative_to(repo)} and {md_path.relative_to(repo)}")
    unmeasured = [row for row in rows if row.status in ("error", "n/a")]
    if unmeasured:
        say(f"{len(unmeasured)} figure(s) not measured (error or not available)")
    return 1 if unmeasured else 0


def _measure(ctx: Context, figures: list[Figure]) -> list[Row]:
    ready: list[Figure] = []
    skipped: dict[str, list[Row]] = {}
    for figure in figures:
        reason = ctx.missing(*figure.needs)
        if reason is None:
            try:
                say(f"preparing {figure.key}")
                figure.prepare(ctx)
                ready.append(figure)
                continue
            except NotAvailable as error:
                reason = str(error)
            except Exception as error:
                say(f"{figure.key}: preparation failed: {error}")
                traceback.print_exc()
                skipped[figure.key] = [
                    failed(line.figure, line.unit, f"preparation failed: {error}", line.target)
                    for line in figure.lines(ctx)
                ]
                continue
        say(f"{figure.key}: not available ({reason})")
        skipped[figure.key] = figure.unavailable(ctx, reason)

    samples: dict[str, Samples] = {figure.key: {} for figure in ready}
    errors: dict[str, list[str]] = {figure.key: [] for figure in ready}
    try:
        _repeat(ctx, ready, samples, errors)
    except KeyboardInterrupt:
        # Stopped early (Ctrl-C, SIGTERM): report what was measured, and say so.
        say("interrupted: reporting the repetitions measured so far")
        ctx.note("The run was interrupted; figures are medians of the trials it completed.")

    rows: list[Row] = []
    for figure in figures:
        if figure.key in skipped:
            rows += skipped[figure.key]
            continue
        figure_rows = figure.rows(ctx, samples[figure.key])
        for row in figure_rows:
            row.judge(verdicts=ctx.profile.verdicts)
            missing = row.strata is None or (
                row.target is not None and row.target.on == "ratio" and row.baseline is None
            )
            if missing and errors[figure.key]:
                row.status = "error"
                row.note = errors[figure.key][0][:160]
        if errors[figure.key]:
            ctx.note(
                f"{figure.key}: {len(errors[figure.key])} failed trial(s): "
                + "; ".join(dict.fromkeys(errors[figure.key]))[:500]
            )
        rows += figure_rows
    return rows


def _repeat(
    ctx: Context,
    ready: list[Figure],
    samples: dict[str, Samples],
    errors: dict[str, list[str]],
) -> None:
    for repetition in range(ctx.profile.repetitions):
        say(f"repetition {repetition + 1}/{ctx.profile.repetitions}")
        for figure in ready:
            for trial in figure.trials(ctx, repetition, samples[figure.key]):
                began = time.monotonic()
                try:
                    sample = trial.run()
                except Exception as error:
                    say(f"  {figure.key} {trial.name}: FAILED: {error}")
                    errors[figure.key].append(f"{trial.name}: {error}")
                    continue
                samples[figure.key].setdefault(trial.name, []).append(sample)
                took = time.monotonic() - began
                say(f"  {figure.key} {trial.name}: {_describe(sample)} ({took:.0f}s)")
