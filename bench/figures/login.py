"""Figure 2: login latency against Argon2id verify alone, with auth's own parameters.

One virtual user, back to back, so the figure is the cost of one login, not queueing. The
baseline verifies one password with Django's Argon2 hasher at auth's cost behind the same
granian flags as auth's HTTP process; the in-process verify time is shown for reference.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from functools import partial
from statistics import median

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
from bench.results import Row, Target
from bench.servers import HOST, Server, free_port, port_is_open, python_path, wsgi_argv

LOGIN_VS_ARGON2 = Target("ratio", "<=", 1.15)
BASELINE_PASSWORD = "Quartz-Lantern-Orbit-42"  # noqa: S105 - the baseline's fixed password

# Read in a child process: auth's settings module reads the environment at import.
_READ_PARAMS = """
import json
from django.contrib.auth.hashers import Argon2PasswordHasher as D
try:
    import auth_service.settings as s
    found = {"time_cost": s.ARGON2_TIME_COST, "memory_kib": s.ARGON2_MEMORY_KIB,
             "parallelism": s.ARGON2_PARALLELISM, "source": "auth settings (ARGON2_*)"}
except (ImportError, AttributeError):
    found = {"time_cost": D.time_cost, "memory_kib": D.memory_cost,
             "parallelism": D.parallelism, "source": "Django's Argon2PasswordHasher defaults"}
print(json.dumps(found))
"""


def argon2_parameters() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _READ_PARAMS], capture_output=True, text=True, check=True
    )
    params: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return params


def in_process_verify_ms(params: dict[str, object], rounds: int) -> float:
    import argon2

    hasher = argon2.PasswordHasher(
        time_cost=int(str(params["time_cost"])),
        memory_cost=int(str(params["memory_kib"])),
        parallelism=int(str(params["parallelism"])),
        type=argon2.Type.ID,
    )
    encoded = hasher.hash("bench-password")
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        hasher.verify(encoded, "bench-password")
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


class Login(Figure):
    key = "login"
    needs = ("auth",)

    def lines(self, ctx: Context) -> list[Line]:
        return [
            Line("login p50 vs Argon2id verify alone", "ms", LOGIN_VS_ARGON2),
            Line("Argon2id verify in-process (reference)", "ms"),
        ]

    def prepare(self, ctx: Context) -> None:
        users = ctx.seeder.users(min(ctx.profile.read_users, 8))
        self.params = argon2_parameters()
        ctx.note(
            "Argon2id parameters: time_cost={time_cost}, memory={memory_kib} KiB, "
            "parallelism={parallelism}, from {source}.".format(**self.params)
        )
        env = {
            "BENCH_ARGON2_TIME_COST": str(self.params["time_cost"]),
            "BENCH_ARGON2_MEMORY_KIB": str(self.params["memory_kib"]),
            "BENCH_ARGON2_PARALLELISM": str(self.params["parallelism"]),
            "BENCH_ARGON2_PASSWORD": BASELINE_PASSWORD,
            "PYTHONPATH": python_path(ctx.repo),
        }

        def make() -> Server:
            port = free_port()
            return Server(
                name="argon2-verify",
                argv=wsgi_argv(
                    ctx.repo, "bench.baselines.argon2_verify:application", port, service="auth"
                ),
                port=port,
                ready=lambda: port_is_open(HOST, port),
                cwd=ctx.repo,
                env=env,
            )

        baseline = ctx.server("argon2-verify", make)
        self.targets = {
            "strata": (
                f"{ctx.stack.endpoints.http('auth')}/api/v1/auth/login",
                ctx.json_file("login-credentials.json", [u.credentials for u in users]),
            ),
            "argon2": (
                f"http://127.0.0.1:{baseline.port}/login",
                ctx.json_file(
                    "argon2-credentials.json",
                    [{"email": "bench@example.com", "password": BASELINE_PASSWORD}],
                ),
            ),
        }
        if ctx.profile.warmup_seconds:
            for name in self.targets:
                self._measure(name, ctx, ctx.profile.warmup_seconds)

    def _measure(self, name: str, ctx: Context, duration: int) -> Sample:
        url, credentials = self.targets[name]
        summary = k6.run(
            "login.js", {"URL": url, "CREDENTIALS": credentials, "DURATION": seconds(duration)}
        )
        return http_sample(summary, max_failed=0.0)

    def trials(self, ctx: Context, repetition: int, samples: Samples) -> list[Trial]:
        measured = [
            Trial(name, partial(self._measure, name, ctx, ctx.profile.login_seconds))
            for name in self.targets
        ]
        rounds = 5 if ctx.profile.name == "quick" else 20
        reference = Trial("in-process", lambda: {"p50": in_process_verify_ms(self.params, rounds)})
        return [*rotate(measured, repetition), reference]

    def rows(self, ctx: Context, samples: Samples) -> list[Row]:
        strata_p95 = median_of(samples, "strata", "p95")
        return [
            Row(
                figure="login p50 vs Argon2id verify alone",
                unit="ms",
                strata=median_of(samples, "strata", "p50"),
                baseline=median_of(samples, "argon2", "p50"),
                baseline_name="verify behind granian",
                target=LOGIN_VS_ARGON2,
                note="" if strata_p95 is None else f"login p95 {strata_p95:.1f} ms",
            ),
            Row(
                figure="Argon2id verify in-process (reference)",
                unit="ms",
                strata=median_of(samples, "in-process", "p50"),
            ),
        ]
