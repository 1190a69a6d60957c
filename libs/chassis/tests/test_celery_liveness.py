"""The worker liveness probe follows a real worker's heartbeat, without the broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chassis.testing.celery_worker import celery_worker, eventually

CHASSIS_DIR = Path(__file__).resolve().parent.parent


def probe(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chassis.celery_liveness", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_probe_follows_a_real_workers_heartbeat(tmp_path: Path):
    files = {
        "CELERY_HEARTBEAT_FILE": str(tmp_path / "heartbeat"),
        "CELERY_READY_FILE": str(tmp_path / "ready"),
        "CELERY_HEARTBEAT_SECONDS": "0.5",
    }
    assert probe(env=files).returncode == 1  # no worker yet
    with celery_worker(
        app="chassis_tests_app.celery:app",
        queues=["liveness"],
        cwd=CHASSIS_DIR,
        log=tmp_path / "worker.log",
        env={"DJANGO_SETTINGS_MODULE": "chassis_tests_app.settings", **files},
    ) as worker:
        eventually(lambda: probe("--ready", env=files).returncode == 0, log=worker.log)
        first = Path(files["CELERY_HEARTBEAT_FILE"]).stat().st_mtime
        eventually(
            lambda: Path(files["CELERY_HEARTBEAT_FILE"]).stat().st_mtime > first, log=worker.log
        )
        assert probe("--max-age", "2", env=files).returncode == 0
        # A frozen worker stops beating: the probe notices once the beat is stale.
        os.killpg(worker.process.pid, signal.SIGSTOP)
        time.sleep(2.5)
        stale = probe("--max-age", "2", env=files)
        os.killpg(worker.process.pid, signal.SIGCONT)
        assert stale.returncode == 1
        assert "last heartbeat" in stale.stdout


def test_probe_does_not_import_django_or_celery():
    code = (
        "import sys, chassis.celery_liveness as p; p.check(ready=False, max_age=1); "
        "print('django' in sys.modules or 'celery' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=10
    )
    assert out.stdout.strip() == "False"
