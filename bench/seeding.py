"""The data the scenarios need, created through the public API and kept between runs.

Users are registered through auth (so users, auth and the events between them all see
them), rooms are created and joined through chat's REST API. What was created is recorded
in ``.devstack/bench/seed.json``, next to the data it describes, so ``make dev-reset``
forgets both together. Access tokens come from a refresh (cheap) when a refresh token is
at hand, from a login (an Argon2 verify) otherwise.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.results import say
from bench.stack import DevStack, http_json

PASSWORD = "Quartz-Lantern-Orbit-42"  # noqa: S105 - the benchmark users' password (dev stack)
# Fresh enough for a whole run: access tokens live 15 minutes.
TOKEN_REUSE_SECONDS = 5 * 60


class SeedFailed(RuntimeError):
    """The platform refused to create or sign in a benchmark user or room."""


@dataclass
class BenchUser:
    index: int
    email: str
    id: str = ""
    refresh_token: str = ""
    access_token: str = ""
    access_at: float = 0.0

    @property
    def credentials(self) -> dict[str, str]:
        return {"email": self.email, "password": PASSWORD}


@dataclass
class SeedState:
    users: dict[int, BenchUser] = field(default_factory=dict)
    rooms: dict[str, list[int]] = field(default_factory=dict)  # slug -> member indices

    @classmethod
    def load(cls, path: Path) -> SeedState:
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError):
            return cls()
        users = {int(k): BenchUser(**v) for k, v in raw.get("users", {}).items()}
        return cls(users=users, rooms={k: list(v) for k, v in raw.get("rooms", {}).items()})

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "users": {str(k): asdict(v) for k, v in self.users.items()},
            "rooms": self.rooms,
        }
        path.write_text(json.dumps(payload))


def _subject(token: str) -> str:
    """The ``sub`` claim of a JWT (read, not verified: it is our own fresh token)."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return str(claims["sub"])


class Seeder:
    """Creates and signs in benchmark users and rooms on a dev stack."""

    def __init__(self, stack: DevStack, *, workers: int = 4) -> None:
        self.stack = stack
        self.auth = f"{stack.endpoints.http('auth')}/api/v1/auth"
        self.chat = f"{stack.endpoints.http('chat')}/api/v1/chat"
        self.path = stack.state.root / "bench" / "seed.json"
        self.state = SeedState.load(self.path)
        self.workers = workers
        self._lock = threading.Lock()

    def save(self) -> None:
        with self._lock:
            self.state.save(self.path)

    # Users.

    def users(self, count: int) -> list[BenchUser]:
        """``count`` registered users with fresh access tokens."""
        wanted = [self._user(index) for index in range(count)]
        stale = [u for u in wanted if time.time() - u.access_at > TOKEN_REUSE_SECONDS]
        if stale:
            say(f"signing in {len(stale)} benchmark users")
            self._parallel(self._sign_in, stale)
            self.save()
        return wanted

    def _user(self, index: int) -> BenchUser:
        with self._lock:
            user = self.state.users.get(index)
            if user is None:
                user = BenchUser(index=index, email=f"bench-{index:04d}@example.com")
                self.state.users[index] = user
            return user

    def _sign_in(self, user: BenchUser) -> None:
        if user.refresh_token:
            status, body = http_json(
                "POST", f"{self.auth}/refresh", {"refresh_token": user.refresh_token}
            )
            if status == 200:
                self._keep(user, body)
                return
        status, body = http_json("POST", f"{self.auth}/login", user.credentials)
        if status == 401:
            self._register(user)
            status, body = http_json("POST", f"{self.auth}/login", user.credentials)
        if status != 200:
            raise SeedFailed(f"login of {user.email} answered {status}: {body}")
        self._keep(user, body)

    def _register(self, user: BenchUser) -> None:
        status, body = http_json(
            "POST",
            f"{self.auth}/register",
            {
                "email": user.email,
                "password": PASSWORD,
                "name": f"Load Tester {user.index}",
                "phone": f"+1415555{user.index:04d}",
            },
        )
        if status not in (201, 409):
            raise SeedFailed(f"register of {user.email} answered {status}: {body}")

    def _keep(self, user: BenchUser, body: Any) -> None:
        user.access_token = str(body["access_token"])
        user.refresh_token = str(body["refresh_token"])
        user.access_at = time.time()
        user.id = _subject(user.access_token)

    def _parallel(self, work: Any, items: Iterable[Any]) -> None:
        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(work, items))

    # Rooms.

    def room(self, slug: str, members: list[BenchUser]) -> str:
        """A public room ``slug`` whose members include ``members`` (the first owns it)."""
        owner = members[0]
        known = set(self.state.rooms.get(slug, []))
        if not known:
            status, body = http_json(
                "POST",
                f"{self.chat}/rooms",
                {"slug": slug, "name": f"Bench {slug}", "is_private": False},
                token=owner.access_token,
            )
            if status not in (201, 409):
                raise SeedFailed(f"creating room {slug} answered {status}: {body}")
            known.add(owner.index)
        missing = [m for m in members if m.index not in known]
        if missing:
            say(f"joining {len(missing)} benchmark users to {slug}")

            def join(member: BenchUser) -> None:
                status, body = http_json(
                    "POST", f"{self.chat}/rooms/{slug}/join", {}, token=member.access_token
                )
                if status not in (200, 201, 204):
                    raise SeedFailed(f"{member.email} joining {slug} answered {status}: {body}")

            self._parallel(join, missing)
        self.state.rooms[slug] = sorted(known | {m.index for m in members})
        self.save()
        return slug
