"""Worker liveness through a heartbeat file, cheap enough for a probe every few seconds.

A bootstep in every Strata worker touches ``CELERY_HEARTBEAT_FILE`` from the worker's
own timer (so a wedged event loop stops touching it) and writes ``CELERY_READY_FILE``
once the worker consumes. The probe::

    python -m chassis.celery_liveness            # liveness: heartbeat fresh?
    python -m chassis.celery_liveness --ready    # startup/readiness: consuming?

imports neither Django nor Celery and never talks to the broker: ``celery inspect ping``
loads all of Django and fails during a broker outage, restarting healthy pods for nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# The temp dir is per container (an emptyDir under a read-only root filesystem).
_TMP = Path(tempfile.gettempdir())
HEARTBEAT_FILE = Path(os.environ.get("CELERY_HEARTBEAT_FILE", _TMP / "strata-celery-heartbeat"))
READY_FILE = Path(os.environ.get("CELERY_READY_FILE", _TMP / "strata-celery-ready"))
HEARTBEAT_SECONDS = float(os.environ.get("CELERY_HEARTBEAT_SECONDS", "5"))
# A probe tolerates a few missed beats: a long GC pause is not a dead worker.
DEFAULT_MAX_AGE = HEARTBEAT_SECONDS * 4


def heartbeat_step() -> type:
    """The bootstep class (built lazily so the probe itself never imports Celery)."""
    from celery import bootsteps

    class HeartbeatStep(bootsteps.StartStopStep):
        requires = ("celery.worker.components:Timer",)

        def __init__(self, worker: Any, **kwargs: Any) -> None:
            super().__init__(worker, **kwargs)
            self.timer_ref: Any = None

        def start(self, worker: Any) -> None:
            HEARTBEAT_FILE.touch()
            self.timer_ref = worker.timer.call_repeatedly(
                HEARTBEAT_SECONDS, HEARTBEAT_FILE.touch, priority=10
            )

        def stop(self, worker: Any) -> None:
            if self.timer_ref is not None:
                self.timer_ref.cancel()
            HEARTBEAT_FILE.unlink(missing_ok=True)
            READY_FILE.unlink(missing_ok=True)

    return HeartbeatStep


def mark_ready() -> None:
    READY_FILE.touch()


def check(*, ready: bool, max_age: float) -> tuple[bool, str]:
    """Whether the worker is alive (or ready), and why not."""
    if ready:
        return (True, "ready") if READY_FILE.exists() else (False, f"{READY_FILE} missing")
    try:
        age = time.time() - HEARTBEAT_FILE.stat().st_mtime
    except FileNotFoundError:
        return False, f"{HEARTBEAT_FILE} missing"
    if age > max_age:
        return False, f"last heartbeat {age:.0f}s ago (limit {max_age:.0f}s)"
    return True, f"last heartbeat {age:.1f}s ago"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Celery worker liveness/readiness probe.")
    parser.add_argument("--ready", action="store_true", help="check readiness instead")
    parser.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE)
    options = parser.parse_args(argv)
    ok, reason = check(ready=options.ready, max_age=options.max_age)
    print(reason)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
