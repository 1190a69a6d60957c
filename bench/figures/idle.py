"""Figure 6: idle WebSockets, resident memory per open connection of the WebSocket process.

Measured on fresh processes started for it: a second chat WebSocket process (the dev
stack's command line, environment and working directory, on another port) and a fresh
bare Channels process. A process that has served load before keeps the memory it freed
and would reuse it for the sockets, hiding their cost; for the same reason the figure is
measured once per run, in the first repetition.

``idle_sockets`` authenticated sockets spread over ``idle_rooms`` public rooms (joined on
connect), opened by k6 and held; the process's RSS is read before they open (after a
warm-up of a few sockets, so first-use imports and caches are not charged to them) and
once all are open and the presence frames have settled. Per connection is the difference
divided by the number of sockets. The bare Channels consumer is measured the same way.
"""

from __future__ import annotations

import signal
import time
from functools import partial
from pathlib import Path
from statistics import median

import psutil

from bench import k6
from bench.context import Context
from bench.figures import Figure, Line, Sample, Samples, Trial, TrialFailed, median_of, rotate
from bench.figures.fanout import bare_channels_server
from bench.results import Row, Target
from bench.servers import HOST, Server, asgi_argv, free_port, listener, port_is_open

PER_CONNECTION = Target("value", "<=", 60, "KB")
IDLE_USERS = 200
SOCKETS_PER_VU = 200
CONNECT_GAP_MS = 4
OPEN_TIMEOUT_SECONDS = 120


def established(process: psutil.Process, port: int) -> int:
    return sum(
        1
        for conn in process.net_connections(kind="tcp")
        if conn.status == psutil.CONN_ESTABLISHED and conn.laddr and conn.laddr.port == port
    )


def rss_kb(process: psutil.Process, *, samples: int = 3) -> float:
    values = []
    for _ in range(samples):
        values.append(process.memory_info().rss / 1024)
        time.sleep(0.3)
    return median(values)


class IdleWebSockets(Figure):
    key = "idle"
    needs = ("auth", "chat", "chat-ws")

    def lines(self, ctx: Context) -> list[Line]:
        return [
            Line(
                f"idle WebSockets ({ctx.profile.idle_sockets}): memory per connection",
                "KB",
                PER_CONNECTION,
            )
        ]

    def prepare(self, ctx: Context) -> None:
        profile = ctx.profile
        users = ctx.seeder.users(min(IDLE_USERS, profile.idle_sockets))
        owner = users[:1]
        rooms = [ctx.seeder.room(f"bench-idle-{n:03d}", owner) for n in range(profile.idle_rooms)]
        self.rooms = ctx.json_file("idle-rooms.json", rooms)
        self.tokens = ctx.json_file("idle-tokens.json", [u.access_token for u in users])
        self.ports = {
            "strata": ctx.server("chat-ws-fresh", partial(_fresh_chat_ws, ctx)).port,
            "bare": ctx.server("channels-bare-fresh", partial(_fresh_bare, ctx)).port,
        }
        if profile.idle_warmup_sockets:  # first-use costs (imports, caches, pools), unmeasured
            for side in self.ports:
                self._measure(side, ctx, profile.idle_warmup_sockets)

    def _measure(self, side: str, ctx: Context, sockets: int) -> Sample:
        port = self.ports[side]
        process = listener(port)
        vus = max(1, -(-sockets // SOCKETS_PER_VU))
        per_vu = -(-sockets // vus)
        total = vus * per_vu
        env: dict[str, object] = {
            "BASE": f"ws://127.0.0.1:{port}/ws/chat/",
            "ROOMS": self.rooms,
            "VUS": vus,
            "PER_VU": per_vu,
            "HOLD_SECONDS": OPEN_TIMEOUT_SECONDS + 60,  # stopped by us once measured
            "CONNECT_GAP_MS": CONNECT_GAP_MS,
        }
        if side == "strata":
            env["TOKENS"] = self.tokens
        before_count = established(process, port)
        before = rss_kb(process)
        run = k6.start("ws_idle.js", env)
        try:
            deadline = time.monotonic() + OPEN_TIMEOUT_SECONDS
            count = 0
            while time.monotonic() < deadline and run.poll() is None:
                count = established(process, port) - before_count
                if count >= total:
                    break
                time.sleep(0.25)
            # Presence frames and the last handshakes settle.
            time.sleep(ctx.profile.idle_settle_seconds)
            count = established(process, port) - before_count
            after = rss_kb(process)
        finally:
            if run.poll() is None:
                run.send_signal(signal.SIGINT)  # k6 closes its sockets and exits
            run.communicate(timeout=60)
        # A few handshakes may fail under the connect burst; the figure divides by the
        # sockets actually open, so it stays exact as long as nearly all of them are.
        if count < total * 0.98:
            raise TrialFailed(f"only {count} of {total} sockets were open")
        return {"kb_per_conn": (after - before) / count, "sockets": count, "rss_mb": after / 1024}

    def trials(self, ctx: Context, repetition: int, samples: Samples) -> list[Trial]:
        if repetition > 0:
            # Once only, on processes no fan-out has grown yet (the runner orders the
            # figures so): a process reuses memory freed by earlier load, so a later
            # difference of RSS would understate what a socket costs.
            return []
        sockets = ctx.profile.idle_sockets
        return rotate(
            [Trial(side, partial(self._measure, side, ctx, sockets)) for side in self.ports],
            repetition,
        )

    def rows(self, ctx: Context, samples: Samples) -> list[Row]:
        rss = median_of(samples, "strata", "rss_mb")
        return [
            Row(
                figure=f"idle WebSockets ({ctx.profile.idle_sockets}): memory per connection",
                unit="KB",
                strata=median_of(samples, "strata", "kb_per_conn"),
                baseline=median_of(samples, "bare", "kb_per_conn"),
                baseline_name="bare Channels",
                target=PER_CONNECTION,
                note="" if rss is None else f"process RSS {rss:.0f} MB with the sockets open",
            )
        ]


def _fresh_chat_ws(ctx: Context) -> Server:
    """Another chat WebSocket process, exactly as the dev stack runs its own."""
    running = listener(ctx.stack.endpoints.ports.websocket)
    port = free_port()
    env = dict(running.environ())
    metrics = ctx.scratch / "chat-ws-fresh-metrics"
    metrics.mkdir(parents=True, exist_ok=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    return Server(
        name="chat-ws-fresh",
        argv=asgi_argv(ctx.repo, "chat_service.asgi:application", port),
        port=port,
        ready=lambda: port_is_open(HOST, port),
        cwd=Path(running.cwd()),
        env=env,
    )


def _fresh_bare(ctx: Context) -> Server:
    server = bare_channels_server(ctx)
    server.name = "channels-bare-fresh"
    return server
