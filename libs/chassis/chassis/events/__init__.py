"""Transactional outbox, relay, idempotent consumers and dead letters.

A service function writes its event in the same transaction as its state change::

    from chassis.events import publish

    with transaction.atomic():
        user.save()
        publish("users.user_updated", {"user_id": str(user.id)}, aggregate_id=str(user.id))

After the commit the relay sends it to the consuming services' queues (``EVENT_ROUTES``);
there each service runs its ``@subscribe`` handlers once per event, however many times
the broker delivers it. Handlers live in ``<app>/handlers.py`` modules, found at start-up.

The public names are loaded lazily: this package is a Django app, and its models may not
be imported before the app registry is ready.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chassis.events.dead_letters import replay_dead_letter
    from chassis.events.envelope import Envelope
    from chassis.events.publishing import PublishOutsideTransaction, publish
    from chassis.events.registry import subscribe

__all__ = ["Envelope", "PublishOutsideTransaction", "publish", "replay_dead_letter", "subscribe"]

_LAZY = {
    "Envelope": "chassis.events.envelope",
    "PublishOutsideTransaction": "chassis.events.publishing",
    "publish": "chassis.events.publishing",
    "replay_dead_letter": "chassis.events.dead_letters",
    "subscribe": "chassis.events.registry",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
