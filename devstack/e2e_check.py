"""End-to-end check of the worker's flows (CONTRACT section 5) through a whole dev stack.

    uv run python devstack/e2e_check.py              # against a running `make dev`
    uv run python devstack/e2e_check.py --own-stack  # starts one of its own, then stops it

The first form talks to the gateway on 127.0.0.1:8080 and reads mail from
``.devstack/mail/``. The second starts a dev stack on free ports with its state in a
temporary directory (so it runs beside a `make dev`), runs the same checks and stops it.

What it checks, as a client would see it:

1. register → a welcome ``.eml`` for the new address;
2. password reset → a reset email whose token sets a new password once, and only once;
3. password change → a ``notification`` frame on the user's open chat socket, and the
   security-notice email.

Exit status 0 when every check passes, 1 otherwise (the failing step is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

REPO = Path(__file__).resolve().parents[1]
MAIL_WAIT_SECONDS = 30.0
FRAME_WAIT_SECONDS = 15.0
STACK_START_SECONDS = 300.0


class CheckFailed(AssertionError):
    pass


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)


# -- talking to the platform ---------------------------------------------------------------


@dataclass
class Platform:
    gateway: str  # http://host:port
    mail_dir: Path
    seen_mail: set[Path] = field(default_factory=set)

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str = ""
    ) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(  # noqa: S310 - the gateway's http URL
            f"{self.gateway}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {token}"} if token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - our URL
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, (json.loads(raw) if raw else {})

    def login(self, address: str, password: str) -> str:
        status, tokens = self.call(
            "POST", "/api/v1/auth/login", {"email": address, "password": password}
        )
        expect(status == 200, f"login answered {status}: {tokens}")
        return str(tokens["access_token"])

    def next_mail(self, *, to: str, subject: str) -> EmailMessage:
        """The first message not seen before, for ``to``, whose subject has ``subject``."""
        deadline = time.monotonic() + MAIL_WAIT_SECONDS
        while time.monotonic() < deadline:
            for path in sorted(self.mail_dir.glob("*.eml")):
                if path in self.seen_mail:
                    continue
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                if message["X-Envelope-To"] == to and subject in str(message["Subject"]):
                    self.seen_mail.add(path)
                    return message
            time.sleep(0.2)
        raise CheckFailed(f"no email '{subject}…' for {to} within {MAIL_WAIT_SECONDS:.0f}s")

    def websocket_url(self, path: str) -> str:
        return "ws" + self.gateway.removeprefix("http") + path


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    expect(body is not None, "the email has no text part")
    return str(cast(EmailMessage, body).get_content())


# -- the checks -----------------------------------------------------------------------------


def check_welcome(platform: Platform, address: str, password: str) -> None:
    status, user = platform.call(
        "POST",
        "/api/v1/auth/register",
        {"email": address, "password": password, "name": "End To End"},
    )
    expect(status == 201, f"register answered {status}: {user}")
    welcome = platform.next_mail(to=address, subject="Welcome to Strata")
    expect("End To End" in text_of(welcome), "the welcome email does not greet the user")


def check_reset(platform: Platform, address: str, new_password: str) -> None:
    status, body = platform.call("POST", "/api/v1/auth/password/reset", {"email": address})
    expect(status == 202, f"password reset answered {status}: {body}")
    mail = platform.next_mail(to=address, subject="Reset your Strata password")
    links = [word for word in text_of(mail).split() if "token=" in word]
    expect(len(links) == 1, f"expected one reset link, found {links}")
    (token,) = parse_qs(urlsplit(links[0]).query)["token"]

    confirm = "/api/v1/auth/password/reset/confirm"
    status, body = platform.call("POST", confirm, {"token": token, "new_password": new_password})
    expect(status == 204, f"the reset token was refused ({status}: {body})")
    status, body = platform.call(
        "POST", confirm, {"token": token, "new_password": new_password + "-again"}
    )
    expect(
        status == 400 and body.get("code") == "invalid_token",
        f"the reset token worked twice ({status}: {body})",
    )
    platform.login(address, new_password)
    # A reset changes the password too: its security notice comes as well.
    platform.next_mail(to=address, subject="Your Strata password was changed")


def check_password_change(platform: Platform, address: str, password: str) -> None:
    token = platform.login(address, password)
    slug = f"e2e-{uuid.uuid4().hex[:12]}"
    status, room = platform.call(
        "POST", "/api/v1/chat/rooms", {"slug": slug, "name": "E2E check"}, token=token
    )
    expect(status == 201, f"creating a room answered {status}: {room}")
    frame = asyncio.run(
        _notification_during(
            platform,
            slug=slug,
            token=token,
            action=lambda: platform.call(
                "POST",
                "/api/v1/auth/password/change",
                {"current_password": password, "new_password": password + "-changed"},
                token=token,
            ),
        )
    )
    expect(frame.get("kind") == "security.password_changed", f"unexpected notification {frame}")
    notice = platform.next_mail(to=address, subject="Your Strata password was changed")
    expect("was changed on" in text_of(notice), "the security notice does not say when")


async def _notification_during(
    platform: Platform,
    *,
    slug: str,
    token: str,
    action: Callable[[], tuple[int, dict[str, Any]]],
) -> dict[str, Any]:
    """Open a socket, run ``action``, return the first ``notification`` frame it gets."""
    url = platform.websocket_url(f"/ws/chat/{slug}/")
    protocols = [Subprotocol("bearer"), Subprotocol(token)]
    async with connect(url, subprotocols=protocols) as socket:
        status, body = await asyncio.to_thread(action)
        expect(status == 204, f"password change answered {status}: {body}")
        deadline = time.monotonic() + FRAME_WAIT_SECONDS
        seen: list[str] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=left)
            except TimeoutError:
                break
            except ConnectionClosed as closed:
                raise CheckFailed(
                    f"the socket closed ({closed.rcvd.code if closed.rcvd else '?'}) before a "
                    f"notification frame arrived; frames seen: {seen}"
                ) from closed
            frame = json.loads(raw)
            seen.append(str(frame.get("type")))
            if frame.get("type") == "notification":
                return cast(dict[str, Any], frame)
        raise CheckFailed(f"no notification frame within {FRAME_WAIT_SECONDS:.0f}s: {seen}")


def run_checks(platform: Platform) -> None:
    address = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    first, second = "Correct-horse-battery-1", "Correct-horse-battery-2"
    steps: list[tuple[str, Callable[[], None]]] = [
        ("register → welcome email", lambda: check_welcome(platform, address, first)),
        ("reset → email whose token works once", lambda: check_reset(platform, address, second)),
        (
            "password change → notification frame and security email",
            lambda: check_password_change(platform, address, second),
        ),
    ]
    for name, step in steps:
        started = time.monotonic()
        step()
        print(f"ok    {name} ({time.monotonic() - started:.1f}s)", flush=True)


# -- a dev stack of our own ------------------------------------------------------------------

_SERVE = """
import json, sys
from pathlib import Path
from devstack.console import Console
from devstack.ports import Ports
from devstack.runner import RunConfig, run
from devstack.state import StateDir, find_repo_root

spec = json.loads(sys.argv[1])
state, ports = StateDir(Path(spec["state"])), Ports(**spec["ports"])
config = RunConfig(repo=find_repo_root(), state=state, ports=ports)
sys.exit(run(config, Console(colour=False)))
"""


def _free_ports(count: int) -> list[int]:
    from chassis.embedded.process import free_port

    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port("127.0.0.1"))
    return sorted(ports)


@contextmanager
def own_stack(state: Path) -> Iterator[Platform]:
    """A dev stack on free ports with its state under ``state``; stopped on exit."""
    free = iter(_free_ports(21))
    ports: dict[str, Any] = {
        "postgres": next(free),
        "redis": next(free),
        "smtp": next(free),
        "gateway": next(free),
        "websocket": next(free),
        "http": {svc: next(free) for svc in ("auth", "users", "chat", "worker")},
        "grpc": {svc: next(free) for svc in ("auth", "users")},
        "grpc_metrics": {svc: next(free) for svc in ("auth", "users")},
        "celery_metrics": {svc: next(free) for svc in ("auth", "users", "chat", "worker")},
    }
    gateway = f"http://127.0.0.1:{ports['gateway']}"
    outside = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL")
    env = {k: v for k, v in os.environ.items() if k not in outside}
    env.update(
        {
            "AUTH_JWKS_URL": f"http://127.0.0.1:{ports['http']['auth']}/.well-known/jwks.json",
            "STRATA_PUBLIC_URL": gateway,
            "STRATA_RELAXED_THROTTLES": "1",
            "NO_COLOR": "1",
        }
    )
    log = state / "devstack.log"
    state.mkdir(parents=True, exist_ok=True)
    spec = json.dumps({"state": str(state / "devstack"), "ports": ports})
    up = threading.Event()
    with log.open("w") as out:
        stack = subprocess.Popen(
            [sys.executable, "-c", _SERVE, spec],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

        def follow() -> None:
            assert stack.stdout is not None
            for line in stack.stdout:
                out.write(line)
                out.flush()
                if "Strata is up at" in line:
                    up.set()

        threading.Thread(target=follow, daemon=True).start()
        try:
            started = time.monotonic()
            while not up.wait(1):
                if stack.poll() is not None or time.monotonic() - started > STACK_START_SECONDS:
                    tail = "".join(log.read_text(errors="replace").splitlines(True)[-40:])
                    raise CheckFailed(f"the dev stack did not come up; its last lines:\n{tail}")
            print(f"ok    dev stack up on {gateway} ({time.monotonic() - started:.0f}s)")
            yield Platform(gateway=gateway, mail_dir=state / "devstack" / "mail")
        finally:
            if stack.poll() is None:
                stack.send_signal(signal.SIGTERM)
                try:
                    stack.wait(90)
                except subprocess.TimeoutExpired:
                    os.killpg(stack.pid, signal.SIGKILL)
                    stack.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--own-stack", action="store_true", help="start a dev stack of its own")
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    parser.add_argument("--mail-dir", type=Path, default=REPO / ".devstack" / "mail")
    parser.add_argument(
        "--keep-state",
        type=Path,
        metavar="DIR",
        help="with --own-stack: keep its state (logs, mail) in DIR instead of a temp dir",
    )
    options = parser.parse_args(argv)
    try:
        if options.own_stack and options.keep_state:
            with own_stack(options.keep_state.resolve()) as platform:
                run_checks(platform)
        elif options.own_stack:
            with (
                tempfile.TemporaryDirectory(prefix="strata-e2e-") as state,
                own_stack(Path(state)) as platform,
            ):
                run_checks(platform)
        else:
            platform = Platform(gateway=options.gateway, mail_dir=options.mail_dir)
            run_checks(platform)
    except CheckFailed as failure:
        print(f"FAIL  {failure}", file=sys.stderr)
        return 1
    print("all end-to-end checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
