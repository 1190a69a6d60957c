"""The seeded development admin account (CONTRACT §8)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

from devstack.processes import Platform, ProcessSpec, service_env
from devstack.supervisor import Supervisor

ADMIN_EMAIL = "admin@strata.local"
# Dev-only default, documented in the README; never used outside the dev stack.
DEFAULT_ADMIN_PASSWORD = "strata-dev-admin"  # noqa: S105
SEED_COMMAND = "seed_dev_admin"
SEED_PROCESS = "auth-seed-admin"


@dataclass(frozen=True)
class DevAdmin:
    email: str
    password: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DevAdmin:
        """``STRATA_DEV_ADMIN_PASSWORD`` when set, the documented default otherwise."""
        return cls(ADMIN_EMAIL, env.get("STRATA_DEV_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD)


def seed_command_exists(platform: Platform) -> bool:
    """True once the auth service ships the ``seed_dev_admin`` management command."""
    auth = platform.service_dir("auth")
    return any(auth.glob(f"auth_service/**/management/commands/{SEED_COMMAND}.py"))


def seed_admin(
    supervisor: Supervisor, platform: Platform, admin: DevAdmin, *, timeout: float
) -> bool:
    """Create or update the dev admin through auth's ``seed_dev_admin``; False if it is absent.

    The command gets the account from ``STRATA_DEV_ADMIN_EMAIL`` and
    ``STRATA_DEV_ADMIN_PASSWORD`` (the environment keeps the password out of ``ps``), runs
    once every service is ready (it may call users over gRPC) and must be idempotent.
    """
    if not seed_command_exists(platform):
        return False
    env = service_env(platform, "auth", SEED_PROCESS)
    env.update({"STRATA_DEV_ADMIN_EMAIL": admin.email, "STRATA_DEV_ADMIN_PASSWORD": admin.password})
    spec = ProcessSpec(
        SEED_PROCESS,
        (sys.executable, "manage.py", SEED_COMMAND),
        platform.service_dir("auth"),
        env,
        ready="exit",
        scratch_dir=platform.metrics_dir(SEED_PROCESS),
    )
    supervisor.run_to_completion([spec], timeout=timeout)
    return True
