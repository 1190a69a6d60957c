"""The SMTP sink: accepts every message and keeps it as one ``.eml`` file.

File names start with the UTC receive time down to the microsecond, so ``ls`` lists the
mail in arrival order; a random suffix keeps two messages of the same microsecond apart.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from chassis.embedded.process import StartStop


class MailDirHandler:
    """aiosmtpd handler that writes each accepted message into ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        """Store the message, then acknowledge it."""
        content = envelope.original_content or b""
        self.store(content, mail_from=envelope.mail_from or "", rcpt_tos=envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def store(self, content: bytes, *, mail_from: str, rcpt_tos: list[str]) -> Path:
        """Write one message atomically and return its path.

        The envelope goes in front as ``Return-Path`` and ``X-Envelope-To`` headers, since
        Bcc recipients appear nowhere else.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        envelope = f"Return-Path: <{mail_from}>\r\nX-Envelope-To: {', '.join(rcpt_tos)}\r\n"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{secrets.token_hex(4)}.eml"
        # Readers that glob *.eml never see a half-written file: write aside, then rename.
        partial = self.directory / f".{name}.partial"
        with partial.open("wb") as handle:
            handle.write(envelope.encode() + content)
            handle.flush()
            os.fsync(handle.fileno())
        final = self.directory / name
        os.replace(partial, final)
        return final


class SmtpSink(StartStop):
    """An SMTP server on ``host:port`` running in a thread, storing mail in ``mail_dir``."""

    def __init__(self, mail_dir: Path, *, host: str = "127.0.0.1", port: int = 51025) -> None:
        self.mail_dir = Path(mail_dir)
        self.host = host
        self.port = port
        self._controller: Controller | None = None

    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> None:
        """Listen and serve until :meth:`stop`; returns once the server answers."""
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(
            MailDirHandler(self.mail_dir), hostname=self.host, port=self.port, ready_timeout=10
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()
