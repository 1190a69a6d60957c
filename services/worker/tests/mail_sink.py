"""A real SMTP server for the tests: the dev stack's sink, with faults on demand.

It stores each accepted message as a ``.eml`` file (``devstack.smtp.MailDirHandler``) and
can refuse messages, hold its reply after storing one (a worker killed while it waits has
delivered the mail without knowing it), drop the connection after storing, or be stopped
and started again on the same port (the server is down).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from chassis.embedded.process import free_port
from devstack.smtp import MailDirHandler


class FaultyMailDirHandler(MailDirHandler):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.refusal: str | None = None
        self.drop_after_store = False
        self.released = threading.Event()
        self.released.set()
        self.holding = threading.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refusal is not None:
            return self.refusal
        reply = await super().handle_DATA(server, session, envelope)
        if self.drop_after_store and isinstance(server.transport, asyncio.Transport):
            server.transport.abort()
            return reply
        if not self.released.is_set():
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait, 60)
        return reply


class MailSink:
    """An SMTP server on a loopback port that stays the same across stop and start."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port("127.0.0.1")
        self.handler = FaultyMailDirHandler(directory)
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self._controller.start()

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            self.handler.released.set()
            controller.stop()

    def hold_replies(self) -> None:
        """Store each message, then wait for :meth:`release` before saying so."""
        self.handler.holding.clear()
        self.handler.released.clear()

    def release(self) -> None:
        self.handler.released.set()

    def files(self) -> list[Path]:
        """The stored messages, oldest first (their names start with the arrival time)."""
        return sorted(self.directory.glob("*.eml"))

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in self.files()
        ]
