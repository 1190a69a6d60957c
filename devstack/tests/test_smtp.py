"""The SMTP sink keeps every message as a parseable .eml file."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from chassis.embedded.process import free_port
from devstack.ports import port_is_free
from devstack.smtp import SmtpSink


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    with SmtpSink(tmp_path / "mail", port=free_port()) as running:
        yield running


def _send(sink: SmtpSink, subject: str, *, bcc: str | None = None) -> None:
    message = EmailMessage()
    message["From"] = "noreply@strata.local"
    message["To"] = "ada@example.com"
    message["Subject"] = subject
    message.set_content("Welcome to Strata, Ada. ✓")
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
        to = ["ada@example.com", *([bcc] if bcc else [])]
        client.send_message(message, to_addrs=to)


def test_a_sent_message_is_stored_as_one_eml_file(sink: SmtpSink) -> None:
    _send(sink, "Welcome", bcc="audit@example.com")

    files = sorted(sink.mail_dir.iterdir())
    assert [path.suffix for path in files] == [".eml"]
    stored = BytesParser(policy=policy.default).parse(files[0].open("rb"))
    assert stored["Subject"] == "Welcome"
    assert stored["To"] == "ada@example.com"
    assert "audit@example.com" in stored["X-Envelope-To"]
    assert stored.get_content().strip() == "Welcome to Strata, Ada. ✓"


def test_file_names_sort_in_arrival_order(sink: SmtpSink) -> None:
    subjects = [f"message {n}" for n in range(5)]
    for subject in subjects:
        _send(sink, subject)

    parser = BytesParser(policy=policy.default)
    stored = [
        parser.parse(path.open("rb"))["Subject"] for path in sorted(sink.mail_dir.glob("*.eml"))
    ]
    assert stored == subjects


def test_stop_releases_the_port(tmp_path: Path) -> None:
    sink = SmtpSink(tmp_path, port=free_port())
    sink.start()
    assert not port_is_free(sink.host, sink.port)
    sink.stop()
    assert port_is_free(sink.host, sink.port)
