"""Keep access tokens out of the ASGI server's own log lines.

A WebSocket may carry its token as ``?token=``; uvicorn logs the path with its query on
every handshake ("WebSocket /ws/chat/x/?token=..." [accepted]) through ``uvicorn.error``,
even with ``--no-access-log``. This filter rewrites the token in those lines.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_TOKEN_IN_QUERY = re.compile(r"(?i)([?&](?:access_)?token=)[^&\s\"']*")
REDACTED = "[redacted]"
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def redact(value: Any) -> Any:
    if isinstance(value, str):
        return _TOKEN_IN_QUERY.sub(rf"\g<1>{REDACTED}", value)
    return value


class QueryTokenRedactor(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(arg) for key, arg in record.args.items()}
        return True


def redact_server_logs() -> None:
    """Install the filter on the server's loggers (idempotent)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QueryTokenRedactor) for f in logger.filters):
            logger.addFilter(QueryTokenRedactor())
