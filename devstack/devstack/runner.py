"""``python -m devstack``: the whole platform in the foreground, and ``reset``.

Order of work: claim the state directory, clear what a crashed run left, check the
ports, start Postgres, Redis and the SMTP sink, bootstrap the database, migrate, start
the services, seed the admin, start the gateway last (so it answers only once everything
behind it does), print where everything is, then wait for Ctrl-C/SIGTERM or a death.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from chassis.embedded import EmbeddedPostgres, EmbeddedRedis
from chassis.embedded.process import kill_stale
from devstack.admin import SEED_PROCESS, DevAdmin, seed_admin
from devstack.console import Console
from devstack.database import DATABASE, SERVICES, bootstrap_database, role_url, with_database
from devstack.gateway import READY_PATH, gateway_process, render_caddyfile, upstreams
from devstack.pidfiles import RUNNER_PID_FILE, kill_orphans, running_runner, write_pid_file
from devstack.ports import PortInUse, Ports, ensure_ports_free
from devstack.processes import (
    Backends,
    Platform,
    ProcessSpec,
    migration_processes,
    service_processes,
)
from devstack.smtp import SmtpSink
from devstack.state import StateDir
from devstack.summary import Summary
from devstack.supervisor import ProcessFailed, StopRequested, Supervisor, stop_signals


@dataclass(frozen=True)
class RunConfig:
    """What a run needs to know; the defaults are ``make dev``'s."""

    repo: Path
    state: StateDir
    ports: Ports = field(default_factory=Ports)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)
    grace: float = 10.0
    migrate_timeout: float = 300.0
    ready_timeout: float = 120.0
    # The process tables; tests swap in trivial commands.
    migrations: Callable[[Platform], list[ProcessSpec]] = migration_processes
    services: Callable[[Platform], list[ProcessSpec]] = service_processes

    @property
    def external_database_url(self) -> str | None:
        return self.env.get("DATABASE_URL") or None

    @property
    def external_redis_url(self) -> str | None:
        return self.env.get("REDIS_URL") or None


# What the services' settings (django-environ) read as true.
_TRUE = {"1", "true", "yes", "y", "on"}


class AlreadyRunning(RuntimeError):
    """Another dev stack runs on the same state directory."""


def run(config: RunConfig, console: Console) -> int:
    """Run the platform until a signal (exit status 0) or a failure (exit status 1)."""
    stop, hurry = threading.Event(), threading.Event()
    supervisor = Supervisor(
        run_dir=config.state.run,
        log_dir=config.state.logs,
        console=console,
        grace=config.grace,
        stop=stop,
        hurry=hurry,
    )
    status = 1
    # Servers registered in `cleanup` stop after every supervised process has.
    with stop_signals(stop, hurry), ExitStack() as cleanup:
        try:
            _claim(config, cleanup)
            plan = _plan(config)
            console.register(plan.process_names())
            _clear_leftovers(config, console)
            _serve(config, plan, console, supervisor, cleanup)
            status = 0
        except StopRequested:
            console.say("stopping")
            status = 0
        except ProcessFailed as failure:
            _report(console, failure)
        except (AlreadyRunning, PortInUse, OSError, RuntimeError, psycopg.Error) as error:
            console.say(f"cannot run: {error}")
        finally:
            supervisor.stop_all()
    console.say("stopped" if status == 0 else "stopped after a failure")
    return status


def _claim(config: RunConfig, cleanup: ExitStack) -> None:
    """Make the state directory ours, unless another runner already has it."""
    state = config.state
    state.prepare()
    other = running_runner(state.run)
    if other is not None and other.pid != os.getpid():
        raise AlreadyRunning(f"a dev stack already runs on {state.root} (pid {other.pid})")
    runner_pid = state.run / RUNNER_PID_FILE
    write_pid_file(runner_pid, os.getpid())
    cleanup.callback(runner_pid.unlink, missing_ok=True)


@dataclass(frozen=True)
class _Plan:
    """Everything decided before anything starts."""

    postgres: EmbeddedPostgres | None  # None: DATABASE_URL names the server
    redis: EmbeddedRedis | None  # None: REDIS_URL names the server
    smtp: SmtpSink
    superuser_url: str
    redis_url: str
    passwords: Mapping[str, str]
    platform: Platform
    migrations: list[ProcessSpec]
    services: list[ProcessSpec]
    gateway: ProcessSpec

    def process_names(self) -> list[str]:
        specs = (*self.migrations, *self.services, self.gateway)
        return [spec.name for spec in specs] + [SEED_PROCESS]


def _plan(config: RunConfig) -> _Plan:
    state, ports = config.state, config.ports
    postgres = redis = None
    superuser_url = config.external_database_url
    if superuser_url is None:
        postgres = EmbeddedPostgres(state.pg_data, port=ports.postgres, host=ports.host)
        superuser_url = postgres.url()
    redis_url = config.external_redis_url
    if redis_url is None:
        redis = EmbeddedRedis(state.redis, port=ports.redis, host=ports.host, persist=True)
        redis_url = redis.url(0)
    smtp = SmtpSink(state.mail, host=ports.host, port=ports.smtp)
    # A server of one's own may not trust loopback as the embedded one does: use passwords.
    passwords: dict[str, str] = {}
    if postgres is None:
        passwords = {svc: state.secret(f"postgres-password-{svc}") for svc in SERVICES}
    backends = Backends(
        database_urls={
            svc: role_url(superuser_url, svc, password=passwords.get(svc)) for svc in SERVICES
        },
        redis_url=redis_url,
        email_url=smtp.url(),
        grpc_token=state.secret("internal-grpc-token"),
        secret_keys={svc: state.secret(f"django-secret-key-{svc}") for svc in SERVICES},
    )
    platform = Platform(config.repo, state, ports, backends, base_env=config.env)
    return _Plan(
        postgres=postgres,
        redis=redis,
        smtp=smtp,
        superuser_url=superuser_url,
        redis_url=redis_url,
        passwords=passwords,
        platform=platform,
        migrations=config.migrations(platform),
        services=config.services(platform),
        gateway=_gateway(config),
    )


def _clear_leftovers(config: RunConfig, console: Console) -> None:
    """Stop what a crashed run left behind, then make sure every port is free."""
    state = config.state
    if config.env.get("STRATA_RELAXED_THROTTLES", "").lower() in _TRUE:
        console.say("STRATA_RELAXED_THROTTLES=1: rate limits are raised a hundredfold")
    orphans = kill_orphans(state.run)
    if orphans:
        console.say(f"stopped processes left by a crashed run: {', '.join(orphans)}")
    needed = config.ports.labelled()
    if config.external_database_url is None:
        kill_stale(state.pg_data / "postmaster.pid", program="postgres")
    else:
        del needed["postgres"]
    if config.external_redis_url is None:
        kill_stale(state.redis / "redis.pid", program="redis-server")
    else:
        del needed["redis"]
    ensure_ports_free(config.ports.host, needed)


def _serve(
    config: RunConfig, plan: _Plan, console: Console, supervisor: Supervisor, cleanup: ExitStack
) -> None:
    ports = config.ports
    if plan.postgres is not None:
        console.say(f"starting Postgres on {ports.host}:{ports.postgres}")
        cleanup.callback(plan.postgres.stop)
        plan.postgres.start()
    if plan.redis is not None:
        console.say(f"starting Redis on {ports.host}:{ports.redis}")
        cleanup.callback(plan.redis.stop)
        plan.redis.start()
    cleanup.callback(plan.smtp.stop)
    plan.smtp.start()
    bootstrap_database(plan.superuser_url, passwords=plan.passwords)
    # Metric files of an earlier run would add up with this run's.
    shutil.rmtree(config.state.prometheus, ignore_errors=True)

    console.say("migrating every service's schema")
    supervisor.run_to_completion(plan.migrations, timeout=config.migrate_timeout)
    console.say(f"starting {len(plan.services)} processes")
    started = [supervisor.start(spec) for spec in plan.services]
    supervisor.wait_ready(started, timeout=config.ready_timeout)
    admin = DevAdmin.from_env(config.env)
    seeded = seed_admin(supervisor, plan.platform, admin, timeout=config.migrate_timeout)
    supervisor.wait_ready([supervisor.start(plan.gateway)], timeout=config.ready_timeout)

    summary = Summary(
        ports=ports,
        services=plan.platform.services,
        database_url=with_database(plan.superuser_url, DATABASE),
        redis_url=plan.redis_url,
        smtp_url=plan.smtp.url(),
        mail_dir=config.state.mail,
        log_dir=config.state.logs,
        admin=admin,
        admin_seeded=seeded,
    )
    for line in summary.lines():
        console.plain(line)
    console.plain(summary.up_line())
    supervisor.watch()
    console.say("stopping")


def _gateway(config: RunConfig) -> ProcessSpec:
    state, ports = config.state, config.ports
    caddyfile = state.caddy / "Caddyfile"
    caddyfile.write_text(
        render_caddyfile(host=ports.host, port=ports.gateway, upstreams=upstreams(ports))
    )
    return gateway_process(
        caddyfile=caddyfile,
        caddy_home=state.caddy,
        host=ports.host,
        port=ports.gateway,
        ready=f"http://{ports.host}:{ports.gateway}{READY_PATH}",
        base_env=config.env,
    )


def _report(console: Console, failure: ProcessFailed) -> None:
    console.say(f"{failure}; its last lines:")
    for line in failure.tail:
        console.say(f"    {line}")
    console.say("stopping everything")


def reset(state: StateDir, console: Console) -> int:
    """Wipe the state directory unless a dev stack is running on it."""
    if not state.root.exists():
        console.say(f"nothing to remove: {state.root} does not exist")
        return 0
    runner = running_runner(state.run)
    if runner is not None:
        console.say(f"a dev stack is running (pid {runner.pid}); stop it first")
        return 1
    # A crashed run's processes may still hold files (and ports) in there.
    kill_orphans(state.run)
    kill_stale(state.pg_data / "postmaster.pid", program="postgres")
    kill_stale(state.redis / "redis.pid", program="redis-server")
    state.wipe()
    console.say(f"removed {state.root}")
    return 0
