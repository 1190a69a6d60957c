"""The figures of the budget. Each figure prepares its data and baselines, yields trials
(one measurement of one side: Strata or a baseline) that the runner interleaves across
repetitions, and turns the collected samples into table rows."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from bench.context import Context
from bench.k6 import Summary
from bench.results import Row, Target, med, not_available

Sample = dict[str, float]
Samples = dict[str, list[Sample]]


class NotAvailable(RuntimeError):
    """What the figure measures is not there yet (a service, a handler, a route)."""


class TrialFailed(RuntimeError):
    """A measurement that ran but whose requests failed (errors, refusals, losses)."""


@dataclass(frozen=True)
class Trial:
    name: str
    run: Callable[[], Sample]


@dataclass(frozen=True)
class Line:
    """A row a figure produces, declared up front so a skipped figure still lists it."""

    figure: str
    unit: str
    target: Target | None = None


class Figure(ABC):
    key: str
    needs: tuple[str, ...] = ()

    @abstractmethod
    def lines(self, ctx: Context) -> list[Line]: ...

    def prepare(self, ctx: Context) -> None:  # noqa: B027 - optional hook
        """Seed data and start baselines; may raise."""

    @abstractmethod
    def trials(self, ctx: Context, repetition: int, samples: Samples) -> list[Trial]: ...

    @abstractmethod
    def rows(self, ctx: Context, samples: Samples) -> list[Row]: ...

    def unavailable(self, ctx: Context, reason: str) -> list[Row]:
        return [
            not_available(line.figure, line.unit, reason, line.target) for line in self.lines(ctx)
        ]


def rotate(trials: list[Trial], repetition: int) -> list[Trial]:
    """A different order each repetition, so no side always runs first (or right after
    another that warmed the caches for it)."""
    if not trials:
        return trials
    shift = repetition % len(trials)
    return trials[shift:] + trials[:shift]


def median_of(samples: Samples, trial: str, metric: str) -> float | None:
    return med([sample[metric] for sample in samples.get(trial, []) if metric in sample])


def http_sample(summary: Summary, *, max_failed: float = 0.01) -> Sample:
    """Successful requests per second and latency percentiles of an HTTP k6 run."""
    failed = summary.value("http_req_failed", "value", 0.0)
    count = summary.value("http_reqs", "count", 0.0)
    if count == 0 or failed > max_failed:
        raise TrialFailed(f"{failed:.1%} of {count:.0f} requests failed")
    sample = {
        "rps": summary.value("http_reqs", "rate") * (1 - failed),
        "p50": summary.value("http_req_duration", "med"),
        "p95": summary.value("http_req_duration", "p(95)"),
        "p99": summary.value("http_req_duration", "p(99)"),
        "requests": count,
    }
    if summary.has("dropped_iterations"):
        sample["dropped"] = summary.value("dropped_iterations", "count", 0.0)
    return sample


def seconds(value: float) -> str:
    return f"{max(value, 1):.0f}s"
