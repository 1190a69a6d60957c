from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings


@pytest.fixture
def json_logs() -> Iterator[Callable[[], list[dict]]]:
    """The log lines written during the test, rendered by the service's real formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter_config = dict(settings.LOGGING["formatters"]["structlog"])
    factory = formatter_config.pop("()")
    handler.setFormatter(factory(**formatter_config))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
