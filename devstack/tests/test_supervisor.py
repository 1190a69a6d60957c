"""Starting, watching and stopping process groups, with trivial commands."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from chassis.embedded.process import free_port
from devstack.console import Console
from devstack.pidfiles import group_is_alive
from devstack.ports import port_is_free
from devstack.processes import ProcessSpec
from devstack.supervisor import ProcessFailed, Supervisor

PY = sys.executable


def _spec(
    name: str, code: str, *, port: int | None = None, ready: str = "tcp", cwd: Path
) -> ProcessSpec:
    return ProcessSpec(name, (PY, "-c", textwrap.dedent(code)), cwd, dict(os.environ), port, ready)


def _server_in_grandchild(port: int) -> str:
    # The leader ignores SIGTERM and the server is its child: only signalling the whole
    # group, then SIGKILL after the grace period, frees the port.
    return f"""
        import signal, subprocess, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        subprocess.Popen([sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"])
        time.sleep(600)
    """


def test_stop_all_kills_every_process_of_the_group(supervisor: Supervisor, tmp_path: Path) -> None:
    port = free_port()
    child = supervisor.start(_spec("web", _server_in_grandchild(port), port=port, cwd=tmp_path))
    supervisor.wait_ready([child], timeout=10)
    assert (supervisor.run_dir / "web.pid").exists()

    started = time.monotonic()
    supervisor.stop_all()

    assert time.monotonic() - started < supervisor.grace + 5
    assert not group_is_alive(child.pid)
    assert port_is_free("127.0.0.1", port)
    assert not (supervisor.run_dir / "web.pid").exists()


def test_a_polite_child_stops_without_waiting_for_the_grace(
    supervisor: Supervisor, tmp_path: Path
) -> None:
    port = free_port()
    spec = ProcessSpec(
        "web",
        (PY, "-m", "http.server", str(port), "--bind", "127.0.0.1"),
        tmp_path,
        dict(os.environ),
        port,
    )
    supervisor.wait_ready([supervisor.start(spec)], timeout=10)
    started = time.monotonic()
    supervisor.stop_all()
    assert time.monotonic() - started < 1.5
    assert port_is_free("127.0.0.1", port)


def test_an_unexpected_exit_names_the_process_and_its_last_lines(
    supervisor: Supervisor, tmp_path: Path
) -> None:
    code = """
        import sys, time
        print("connecting to the database", flush=True)
        time.sleep(0.3)
        print("fatal: no such table", flush=True)
        sys.exit(3)
    """
    supervisor.start(_spec("doomed", code, ready="alive", cwd=tmp_path))
    with pytest.raises(ProcessFailed) as failure:
        supervisor.watch()
    assert failure.value.name == "doomed"
    assert "status 3" in str(failure.value)
    assert failure.value.tail[-1] == "fatal: no such table"


def test_a_dead_process_fails_the_readiness_wait(supervisor: Supervisor, tmp_path: Path) -> None:
    child = supervisor.start(_spec("crash", "raise SystemExit(2)", port=free_port(), cwd=tmp_path))
    with pytest.raises(ProcessFailed, match="crash exited unexpectedly with status 2"):
        supervisor.wait_ready([child], timeout=10)


def test_a_log_line_can_mean_ready(supervisor: Supervisor, tmp_path: Path) -> None:
    code = """
        import time
        time.sleep(0.2)
        print("[tasks]\\ncelery@host ready.", flush=True)
        time.sleep(600)
    """
    child = supervisor.start(_spec("worker", code, ready="log:ready.", cwd=tmp_path))
    supervisor.wait_ready([child], timeout=10)


def test_one_shot_commands_must_succeed(supervisor: Supervisor, tmp_path: Path) -> None:
    ok = _spec("ok", "print('migrated')", ready="exit", cwd=tmp_path)
    bad = _spec("bad", "import sys; print('boom'); sys.exit(1)", ready="exit", cwd=tmp_path)
    supervisor.run_to_completion([ok], timeout=10)
    with pytest.raises(ProcessFailed, match="bad failed with exit status 1") as failure:
        supervisor.run_to_completion([ok, bad], timeout=10)
    assert failure.value.tail == ["boom"]


def test_output_is_prefixed_and_logged(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(out, colour=False)
    console.register(["short", "a-longer-name"])
    supervisor = Supervisor(run_dir=tmp_path / "run", log_dir=tmp_path / "logs", console=console)
    supervisor.run_to_completion(
        [_spec("short", "print('hello')", ready="exit", cwd=tmp_path)], timeout=10
    )
    assert out.getvalue() == "short         | hello\n"
    assert (tmp_path / "logs" / "short.log").read_text().endswith("hello\n")


FOREGROUND = """
import sys, threading
from pathlib import Path
from devstack.console import Console
from devstack.processes import ProcessSpec
from devstack.supervisor import StopRequested, Supervisor, stop_signals

state, port = Path(sys.argv[1]), int(sys.argv[2])
stop, hurry = threading.Event(), threading.Event()
supervisor = Supervisor(
    run_dir=state / "run", log_dir=state / "logs", console=Console(), grace=2, stop=stop,
    hurry=hurry,
)
with stop_signals(stop, hurry):
    try:
        web = ProcessSpec("web", (sys.executable, "-c", sys.argv[3]), state, {}, port)
        supervisor.wait_ready([supervisor.start(web)], timeout=10)
        print("UP", flush=True)
        supervisor.watch()
    except StopRequested:
        pass
    finally:
        supervisor.stop_all()
print("STOPPED", flush=True)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_everything_and_exits_0(tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    runner = subprocess.Popen(
        [
            PY,
            "-c",
            FOREGROUND,
            str(tmp_path),
            str(port),
            textwrap.dedent(_server_in_grandchild(port)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert runner.stdout is not None
        assert runner.stdout.readline().strip() == "UP"
        runner.send_signal(sig)
        assert runner.wait(timeout=15) == 0
        assert runner.stdout.read().strip().endswith("STOPPED")
        assert port_is_free("127.0.0.1", port)
        assert list((tmp_path / "run").glob("*.pid")) == []
    finally:
        runner.kill()
