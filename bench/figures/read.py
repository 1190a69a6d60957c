"""Figure 1: the authenticated read, ``GET /api/v1/users/me``.

Strata straight to the users HTTP port and through the gateway, against a bare DRF view
returning a constant (the framework's floor) and a simplejwt peer (a typical DRF stack),
each also behind a Caddy configured as the gateway is. Throughput is closed-loop
(``http_vus`` users back to back); latency is measured open-loop at half of the peak
throughput this run measured for the same path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import partial

from bench import k6
from bench.context import Context
from bench.figures import (
    Figure,
    Line,
    Sample,
    Samples,
    Trial,
    http_sample,
    median_of,
    rotate,
    seconds,
)
from bench.results import Row, Target, say
from bench.servers import (
    Server,
    caddy_in_front,
    cpu_seconds,
    free_port,
    http_answers,
    listening_root,
    python_path,
    wsgi_argv,
)
from devstack.database import create_database, with_database

PATH = "/api/v1/users/me"
PEER_DATABASE = "strata_bench_peer"

THROUGHPUT_VS_BARE = Target("ratio", ">=", 0.5)
THROUGHPUT_VS_PEER = Target("ratio", ">=", 1.5)
P99_AT_HALF_PEAK = Target("value", "<=", 25, "ms")

# trial name -> (label, which URL)
SIDES = {
    "strata": "Strata",
    "bare": "bare DRF",
    "peer": "simplejwt peer",
}
PATHS = ("direct", "gateway")


class AuthenticatedRead(Figure):
    key = "read"
    needs = ("users", "auth")

    def lines(self, ctx: Context) -> list[Line]:
        out = []
        for path in PATHS:
            where = "users :8002" if path == "direct" else "gateway :8080"
            out += [
                Line(f"read throughput, {where}, vs bare DRF", "req/s", THROUGHPUT_VS_BARE),
                Line(f"read throughput, {where}, vs simplejwt peer", "req/s", THROUGHPUT_VS_PEER),
            ]
        out += [
            Line(f"read p99 at half peak, {where}", "ms", P99_AT_HALF_PEAK)
            for where in ("users :8002", "gateway :8080")
        ]
        return out

    def prepare(self, ctx: Context) -> None:
        users = ctx.seeder.users(ctx.profile.read_users)
        self.strata_tokens = ctx.json_file("read-tokens.json", [u.access_token for u in users])
        self.peer_tokens = ctx.scratch / "peer-tokens.json"
        bare = ctx.server(
            "drf-bare",
            lambda: _granian(ctx, "bench.baselines.drf_bare.wsgi:application", "drf-bare"),
        )
        peer_env = {"BENCH_PEER_DATABASE_URL": _peer_database(ctx)}
        _migrate_and_seed_peer(ctx, peer_env, users=ctx.profile.read_users)
        peer = ctx.server(
            "drf-peer",
            lambda: _granian(
                ctx, "bench.baselines.drf_peer.wsgi:application", "drf-peer", peer_env
            ),
        )
        bare_gw = ctx.server(
            "drf-bare-caddy",
            lambda: caddy_in_front(
                name="drf-bare-caddy",
                upstream_port=bare.port,
                prefix="/api/v1/users",
                scratch=ctx.scratch,
            ),
        )
        peer_gw = ctx.server(
            "drf-peer-caddy",
            lambda: caddy_in_front(
                name="drf-peer-caddy",
                upstream_port=peer.port,
                prefix="/api/v1/users",
                scratch=ctx.scratch,
            ),
        )
        endpoints = ctx.stack.endpoints
        self.server_pids = {
            "strata": listening_root(endpoints.ports.http["users"]),
            "bare": int(bare.pid or 0),
            "peer": int(peer.pid or 0),
        }
        self.urls = {
            ("strata", "direct"): endpoints.http("users") + PATH,
            ("strata", "gateway"): endpoints.gateway + PATH,
            ("bare", "direct"): f"http://127.0.0.1:{bare.port}{PATH}",
            ("bare", "gateway"): f"http://127.0.0.1:{bare_gw.port}{PATH}",
            ("peer", "direct"): f"http://127.0.0.1:{peer.port}{PATH}",
            ("peer", "gateway"): f"http://127.0.0.1:{peer_gw.port}{PATH}",
        }
        if ctx.profile.warmup_seconds:
            for (side, _path), url in self.urls.items():
                self._closed(side, url, ctx.profile.warmup_seconds, ctx)  # warm-up, discarded

    def _tokens(self, side: str) -> str:
        return str(self.peer_tokens if side == "peer" else self.strata_tokens)

    def _closed(self, side: str, url: str, duration: int, ctx: Context) -> Sample:
        server = self.server_pids[side]
        cpu_before = cpu_seconds(server)
        summary = k6.run(
            "http_read.js",
            {
                "URL": url,
                "TOKENS": self._tokens(side),
                "MODE": "closed",
                "VUS": ctx.profile.http_vus,
                "DURATION": seconds(duration),
            },
        )
        sample = http_sample(summary)
        # The app server's own CPU per request: steadier than throughput on a busy machine.
        sample["cpu_ms"] = 1000 * (cpu_seconds(server) - cpu_before) / sample["requests"]
        return sample

    def _rate(self, url: str, rate: float, ctx: Context) -> Sample:
        summary = k6.run(
            "http_read.js",
            {
                "URL": url,
                "TOKENS": self._tokens("strata"),
                "MODE": "rate",
                "RATE": max(int(rate), 1),
                "DURATION": seconds(ctx.profile.seconds),
            },
        )
        sample = http_sample(summary)
        sample["rate"] = rate
        return sample

    def trials(self, ctx: Context, repetition: int, samples: Samples) -> list[Trial]:
        throughput = [
            Trial(
                f"{side}-{path}",
                partial(self._closed, side, self.urls[(side, path)], ctx.profile.seconds, ctx),
            )
            for side in SIDES
            for path in PATHS
        ]

        def half_peak(path: str) -> Sample:
            peak = median_of(samples, f"strata-{path}", "rps")
            if peak is None:
                raise RuntimeError(f"no peak throughput measured for {path}")
            return self._rate(self.urls[("strata", path)], peak / 2, ctx)

        latency = [Trial(f"strata-{path}-half", partial(half_peak, path)) for path in PATHS]
        return rotate(throughput, repetition) + latency

    def rows(self, ctx: Context, samples: Samples) -> list[Row]:
        rows = []
        for path in PATHS:
            strata = median_of(samples, f"strata-{path}", "rps")
            where = "users :8002" if path == "direct" else "gateway :8080"
            suffix = "" if path == "direct" else " behind Caddy"
            strata_cpu = median_of(samples, f"strata-{path}", "cpu_ms")
            for side, target in (("bare", THROUGHPUT_VS_BARE), ("peer", THROUGHPUT_VS_PEER)):
                side_cpu = median_of(samples, f"{side}-{path}", "cpu_ms")
                note = ""
                if strata_cpu is not None and side_cpu:
                    note = (
                        f"app CPU/request {strata_cpu:.2f} ms vs {side_cpu:.2f} ms "
                        f"({side_cpu / strata_cpu:.2f}x)"
                    )
                rows.append(
                    Row(
                        figure=f"read throughput, {where}, vs {SIDES[side]}",
                        unit="req/s",
                        strata=strata,
                        baseline=median_of(samples, f"{side}-{path}", "rps"),
                        baseline_name=SIDES[side] + suffix,
                        target=target,
                        note=note,
                    )
                )
        for path in PATHS:
            where = "users :8002" if path == "direct" else "gateway :8080"
            rate = median_of(samples, f"strata-{path}-half", "rate")
            dropped = median_of(samples, f"strata-{path}-half", "dropped") or 0
            note = f"at {rate:.0f} req/s" if rate else ""
            if dropped:
                note += f", {dropped:.0f} requests k6 could not start on time"
            rows.append(
                Row(
                    figure=f"read p99 at half peak, {where}",
                    unit="ms",
                    strata=median_of(samples, f"strata-{path}-half", "p99"),
                    target=P99_AT_HALF_PEAK,
                    note=note,
                )
            )
        return rows


def _granian(ctx: Context, app: str, name: str, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    return Server(
        name=name,
        argv=wsgi_argv(ctx.repo, app, port, service="users"),
        port=port,
        ready=http_answers(f"http://127.0.0.1:{port}{PATH}"),
        cwd=ctx.repo,
        env={"PYTHONPATH": python_path(ctx.repo), **(env or {})},
    )


def _peer_database(ctx: Context) -> str:
    """A database of its own on the dev stack's Postgres server, for the peer."""
    superuser = ctx.stack.superuser_url()
    create_database(superuser, PEER_DATABASE)
    return with_database(superuser, PEER_DATABASE)


def _migrate_and_seed_peer(ctx: Context, env: dict[str, str], *, users: int) -> None:
    say("migrating and seeding the simplejwt peer")
    child = {
        **os.environ,
        **env,
        "DJANGO_SETTINGS_MODULE": "bench.baselines.drf_peer.settings",
        "PYTHONPATH": python_path(ctx.repo),
    }
    for argv in (
        ["migrate", "--noinput", "-v", "0"],
        ["peer_seed", "--users", str(users), "--out", str(ctx.scratch / "peer-tokens.json")],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "django", *argv],
            cwd=ctx.repo,
            env=child,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"peer {argv[0]} failed: {done.stderr[-2000:]}")
    json.loads((ctx.scratch / "peer-tokens.json").read_text())
