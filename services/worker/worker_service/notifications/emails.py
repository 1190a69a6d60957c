"""The emails, rendered from their templates: a subject, a text body and an HTML body.

Templates live in ``templates/notifications/<kind>/`` as ``subject.txt``, ``body.txt`` and
``body.html``. The HTML ones are auto-escaped (a user's name is user input); the text ones
turn escaping off.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.template.loader import render_to_string

from worker_service.notifications.models import Notification

Kind = Notification.Kind


class UnusablePayload(ValueError):
    """The event cannot make an email (no valid address): retrying will not help."""


def build_email(
    *, kind: Notification.Kind, event_id: uuid.UUID, to: str, context: dict[str, Any]
) -> EmailMultiAlternatives:
    """The email of ``kind`` for ``to``, rendered with ``context`` plus the platform's links.

    Its ``Message-ID`` derives from the event and the kind, so a receiving system that
    deduplicates on it sees every copy of one notification as the same message.
    """
    try:
        validate_email(to)
    except ValidationError as exc:
        raise UnusablePayload("The event carries no valid email address.") from exc
    context = {"public_url": settings.STRATA_PUBLIC_URL, **context}
    folder = f"notifications/{kind.value}"
    # One line, however the template is laid out: a header cannot span lines.
    subject = " ".join(render_to_string(f"{folder}/subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{folder}/body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "Message-ID": f"<{event_id}.{kind.value}@{_sender_domain()}>",
            # RFC 3834: machine-sent; auto-responders should not answer it.
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"{folder}/body.html", context), "text/html")
    return message


def password_reset_link(token: str) -> str:
    """``PASSWORD_RESET_URL`` with ``token`` added to its query string."""
    parts = urlsplit(str(settings.PASSWORD_RESET_URL))
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("token", token)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def readable_time(moment: str) -> str:
    """An ISO 8601 instant as people read it in an email: ``27 Nov 2026, 14:05 UTC``."""
    parsed = datetime.fromisoformat(moment)
    if parsed.tzinfo is None:  # the events' times are UTC, whether or not they say so
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


def _sender_domain() -> str:
    _, address = parseaddr(str(settings.DEFAULT_FROM_EMAIL))
    return address.rpartition("@")[2] or "strata.local"
