"""``manage.py dead_letters``: list, inspect and replay this service's dead letters.

A dead letter is an event one handler of this service kept failing on (see
:mod:`chassis.events.dead_letters`). Once the cause is fixed, replaying sends the event
back to this service's queue for that handler only, with a fresh set of retries::

    manage.py dead_letters list                  # not replayed yet, oldest first
    manage.py dead_letters list --all --type auth.password_reset_requested
    manage.py dead_letters show <id>             # the envelope and the last traceback
    manage.py dead_letters replay <id> [<id> ...]
    manage.py dead_letters replay --all-open     # every letter not replayed yet
    manage.py dead_letters replay <id> --force   # once more, though it was replayed
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet

from chassis.errors import StrataError
from chassis.events.dead_letters import replay_dead_letter
from chassis.events.models import DeadLetter

_ROW = "{id:<36}  {created:<16}  {type:<32}  {attempts:>8}  {replayed:<16}  {handler}"


class Command(BaseCommand):
    help = "List, show and replay the events this service's handlers dead-lettered."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = actions.add_parser("list", help="dead letters, oldest first")
        listing.add_argument("--all", action="store_true", help="replayed ones too")
        listing.add_argument("--type", dest="event_type", help="only this event type")
        listing.add_argument("--limit", type=int, default=100)
        show = actions.add_parser("show", help="one dead letter in full")
        show.add_argument("id")
        replay = actions.add_parser("replay", help="send dead letters back to their handler")
        replay.add_argument("ids", nargs="*", metavar="id")
        replay.add_argument(
            "--all-open", action="store_true", help="every dead letter not replayed yet"
        )
        replay.add_argument("--type", dest="event_type", help="with --all-open: only this type")
        replay.add_argument("--force", action="store_true", help="replay a replayed letter again")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            self._list(options)
        elif action == "show":
            self._show(_letter(options["id"]))
        else:
            self._replay(options)

    def _list(self, options: dict[str, Any]) -> None:
        letters = _selected(open_only=not options["all"], event_type=options["event_type"])
        total = letters.count()
        self.stdout.write(
            _ROW.format(
                id="ID",
                created="CREATED (UTC)",
                type="EVENT TYPE",
                attempts="ATTEMPTS",
                replayed="REPLAYED (UTC)",
                handler="HANDLER",
            )
        )
        for letter in letters[: options["limit"]]:
            self.stdout.write(
                _ROW.format(
                    id=str(letter.id),
                    created=_minute(letter.created_at),
                    type=letter.event_type,
                    attempts=letter.attempts,
                    replayed=_minute(letter.replayed_at) if letter.replayed_at else "-",
                    handler=letter.handler,
                )
            )
        shown = min(total, options["limit"])
        what = "dead letters" if options["all"] else "dead letters not replayed"
        self.stdout.write(f"{shown} of {total} {what}")

    def _show(self, letter: DeadLetter) -> None:
        for label, value in (
            ("id", letter.id),
            ("event id", letter.event_id),
            ("event type", letter.event_type),
            ("handler", letter.handler),
            ("attempts", letter.attempts),
            ("dead since", letter.created_at.isoformat()),
            ("replayed at", letter.replayed_at.isoformat() if letter.replayed_at else "never"),
        ):
            self.stdout.write(f"{label + ':':<13}{value}")
        self.stdout.write("envelope:")
        self.stdout.write(json.dumps(letter.envelope, indent=2, sort_keys=True))
        self.stdout.write("last error:")
        self.stdout.write(letter.error.rstrip())

    def _replay(self, options: dict[str, Any]) -> None:
        if options["all_open"] == bool(options["ids"]):
            raise CommandError("Give dead letter ids, or --all-open (not both).")
        if options["all_open"]:
            ids = list(
                _selected(open_only=True, event_type=options["event_type"]).values_list(
                    "id", flat=True
                )
            )
        else:
            ids = [_uuid(raw) for raw in options["ids"]]
        failed = 0
        for letter_id in ids:
            try:
                letter = replay_dead_letter(dead_letter_id=letter_id, force=options["force"])
            except StrataError as exc:
                failed += 1
                self.stderr.write(f"{letter_id}: {exc.detail}")
                continue
            self.stdout.write(f"replayed {letter.id} ({letter.event_type}) to {letter.handler}")
        self.stdout.write(f"{len(ids) - failed} of {len(ids)} dead letters replayed")
        if failed:
            raise CommandError(f"{failed} dead letter(s) not replayed")


def _selected(*, open_only: bool, event_type: str | None) -> QuerySet[DeadLetter]:
    letters = DeadLetter.objects.order_by("created_at", "id")
    if open_only:
        letters = letters.filter(replayed_at__isnull=True)
    if event_type:
        letters = letters.filter(event_type=event_type)
    return letters


def _letter(raw: str) -> DeadLetter:
    letter = DeadLetter.objects.filter(id=_uuid(raw)).first()
    if letter is None:
        raise CommandError(f"No dead letter {raw}.")
    return letter


def _uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise CommandError(f"Not a dead letter id: {raw!r}") from exc


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")
