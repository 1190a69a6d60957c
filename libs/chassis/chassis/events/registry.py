"""``@subscribe``: the handlers this service runs for each event type."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chassis.events.envelope import Envelope

Handler = Callable[[Envelope], None]
H = TypeVar("H", bound=Handler)

_handlers: dict[str, dict[str, Handler]] = {}


def handler_name(handler: Handler) -> str:
    """A handler's stable name (its dotted path): the inbox and dead letters key on it."""
    return f"{handler.__module__}.{handler.__qualname__}"


def subscribe(event_type: str) -> Callable[[H], H]:
    """Run the decorated function for every ``event_type`` event this service receives.

    The function takes the envelope and returns nothing. It runs inside a transaction
    together with the inbox row that marks it done, so its database effects happen once
    however often the event is delivered; effects outside the database (mail, HTTP) should
    tolerate a rare repeat. Put handlers in ``<app>/handlers.py``: those modules are
    imported at start-up.
    """

    def register(handler: H) -> H:
        # Keyed by name: importing a module twice must not register its handler twice.
        _handlers.setdefault(event_type, {})[handler_name(handler)] = handler
        return handler

    return register


def handlers_for(event_type: str) -> dict[str, Handler]:
    """The handlers subscribed to ``event_type``, by name, in registration order."""
    return dict(_handlers.get(event_type, {}))


def subscribed_types() -> list[str]:
    """Every event type this service has a handler for (what ``EVENT_ROUTES`` should match)."""
    return sorted(_handlers)
