"""Figure 4: ``UserDirectory.GetUser`` throughput against a raw grpcio echo servicer.

Both servers take the same calls from the same k6 script (the contract's proto), with the
same thread pool and server options; Strata's has its interceptors (credential, request
id, metrics, database hygiene, errors), reads the profile row and decrypts the phone.
"""

from __future__ import annotations

from functools import partial

from bench import k6
from bench.context import Context
from bench.figures import (
    Figure,
    Line,
    Sample,
    Samples,
    Trial,
    TrialFailed,
    median_of,
    rotate,
    seconds,
)
from bench.results import Row, Target
from bench.servers import (
    HOST,
    Server,
    cpu_seconds,
    free_port,
    listening_root,
    port_is_open,
    python_argv,
    python_path,
)

GET_USER_VS_ECHO = Target("ratio", ">=", 0.6)


class GrpcGetUser(Figure):
    key = "grpc"
    needs = ("users", "auth")

    def lines(self, ctx: Context) -> list[Line]:
        return [Line("gRPC GetUser throughput vs raw grpcio echo", "calls/s", GET_USER_VS_ECHO)]

    def prepare(self, ctx: Context) -> None:
        users = ctx.seeder.users(ctx.profile.read_users)
        self.ids = ctx.json_file("grpc-ids.json", [u.id for u in users])
        self.credential = ctx.stack.grpc_credential()

        def make() -> Server:
            port = free_port()
            return Server(
                name="grpc-echo",
                argv=python_argv("-m", "bench.baselines.grpc_echo", "--port", str(port)),
                port=port,
                ready=lambda: port_is_open(HOST, port),
                cwd=ctx.repo,
                env={"PYTHONPATH": python_path(ctx.repo)},
            )

        echo = ctx.server("grpc-echo", make)
        self.pids = {
            "strata": listening_root(ctx.stack.endpoints.ports.grpc["users"]),
            "echo": int(echo.pid or 0),
        }
        self.targets = {
            "strata": ctx.stack.endpoints.grpc("users"),
            "echo": f"127.0.0.1:{echo.port}",
        }
        if ctx.profile.warmup_seconds:
            for name in self.targets:
                self._measure(name, ctx, ctx.profile.warmup_seconds)

    def _measure(self, name: str, ctx: Context, duration: int) -> Sample:
        cpu_before = cpu_seconds(self.pids[name])
        summary = k6.run(
            "grpc_get_user.js",
            {
                "TARGET": self.targets[name],
                "PROTO_DIR": ctx.repo / "proto",
                "IDS": self.ids,
                "CREDENTIAL": self.credential,
                "VUS": ctx.profile.grpc_vus,
                "DURATION": seconds(duration),
            },
        )
        ok = summary.value("grpc_ok", "count", 0.0)
        bad = summary.value("grpc_not_ok", "count", 0.0)
        if ok == 0 or bad > 0.01 * (ok + bad):
            raise TrialFailed(f"{bad:.0f} of {ok + bad:.0f} GetUser calls failed")
        return {
            "cpu_ms": 1000 * (cpu_seconds(self.pids[name]) - cpu_before) / ok,
            "rps": summary.value("grpc_ok", "rate"),
            "p50": summary.value("grpc_req_duration", "med"),
            "p99": summary.value("grpc_req_duration", "p(99)"),
        }

    def trials(self, ctx: Context, repetition: int, samples: Samples) -> list[Trial]:
        return rotate(
            [
                Trial(name, partial(self._measure, name, ctx, ctx.profile.seconds))
                for name in self.targets
            ],
            repetition,
        )

    def rows(self, ctx: Context, samples: Samples) -> list[Row]:
        return [
            Row(
                figure="gRPC GetUser throughput vs raw grpcio echo",
                unit="calls/s",
                strata=median_of(samples, "strata", "rps"),
                baseline=median_of(samples, "echo", "rps"),
                baseline_name="grpcio echo",
                target=GET_USER_VS_ECHO,
                note=_cpu_note(samples),
            )
        ]


def _cpu_note(samples: Samples) -> str:
    strata, echo = median_of(samples, "strata", "cpu_ms"), median_of(samples, "echo", "cpu_ms")
    if strata is None or not echo:
        return ""
    return f"server CPU/call {strata:.2f} ms vs {echo:.2f} ms ({echo / strata:.2f}x)"
