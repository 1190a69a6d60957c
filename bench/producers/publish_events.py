"""Publish ``users.user_updated`` events from the users service's own code, at a fixed rate.

Run with the users service's settings and database role (the events figure does this):
each event is written with ``chassis.events.publish`` in its own transaction, exactly as
``profile_update`` does, and relayed by the same after-commit fast path. No HTTP request
and no profile write are in the way, so what is measured is the events machinery: outbox,
relay, broker, consumer. Prints how many events it committed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--user-ids", type=Path, required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "users_service.settings")
    import django

    django.setup()
    from django.db import transaction

    from chassis.events import publish

    user_ids = json.loads(args.user_ids.read_text())
    total = int(args.rate * args.seconds)
    started = time.monotonic()
    for index in range(total):
        due = started + index / args.rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        user_id = user_ids[index % len(user_ids)]
        with transaction.atomic():
            publish(
                "users.user_updated",
                {"user_id": user_id, "name": f"Load Tester {index}", "changed": ["name"]},
                aggregate_id=user_id,
            )
    print(json.dumps({"committed": total, "seconds": time.monotonic() - started}))


if __name__ == "__main__":
    main()
