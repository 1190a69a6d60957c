"""The dev stack's state directory, ``<repo>/.devstack/``, and the secrets kept in it."""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

STATE_DIR_NAME = ".devstack"


def find_repo_root(start: Path | None = None) -> Path:
    """Return the workspace root: the nearest directory holding ``services/`` and a pyproject.

    Looks upward from ``start`` (default: this package, then the working directory), so an
    editable install and a run from anywhere inside the checkout both find the same root.
    """
    starts = [start] if start is not None else [Path(__file__).resolve().parent, Path.cwd()]
    for origin in starts:
        for candidate in [origin, *origin.parents]:
            if (candidate / "pyproject.toml").is_file() and (candidate / "services").is_dir():
                return candidate
    raise FileNotFoundError("cannot find the Strata checkout (a directory with services/)")


@dataclass(frozen=True)
class StateDir:
    """Everything the dev stack writes lives under one directory."""

    root: Path

    @classmethod
    def for_repo(cls, repo: Path) -> StateDir:
        return cls(repo / STATE_DIR_NAME)

    @property
    def pg(self) -> Path:
        return self.root / "pg"

    @property
    def pg_data(self) -> Path:
        # A subdirectory, so the server's log (written beside the data dir) stays in pg/.
        return self.pg / "data"

    @property
    def redis(self) -> Path:
        return self.root / "redis"

    @property
    def mail(self) -> Path:
        return self.root / "mail"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def prometheus(self) -> Path:
        return self.root / "prometheus"

    @property
    def caddy(self) -> Path:
        return self.root / "caddy"

    def prepare(self) -> None:
        """Create the directory tree (idempotent)."""
        tree = (self.pg, self.redis, self.mail, self.logs, self.run, self.prometheus, self.caddy)
        for path in tree:
            path.mkdir(parents=True, exist_ok=True)
        # Keeps the state out of git even in a checkout whose .gitignore lacks the entry.
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")

    def secret(self, name: str) -> str:
        """Return the secret stored as ``run/<name>``, generating it (mode 0600) on first use."""
        path = self.run / name
        if path.exists() and (value := path.read_text().strip()):
            return value
        value = secrets.token_urlsafe(48)
        # Written aside and renamed, so a crash never leaves an empty secret behind.
        partial = path.with_name(f".{name}.partial")
        partial.unlink(missing_ok=True)  # so the mode below applies
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        os.replace(partial, path)
        return value

    def wipe(self) -> None:
        """Delete the whole state directory."""
        if self.root.exists():
            shutil.rmtree(self.root)
