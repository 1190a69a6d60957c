"""Argon2id verify alone, behind the same granian flags as auth's HTTP process.

A raw WSGI app: parse the JSON body, verify its password against one stored hash, answer.
The hasher is Django's ``Argon2PasswordHasher`` with the cost auth uses, passed in as
``BENCH_ARGON2_TIME_COST``, ``BENCH_ARGON2_MEMORY_KIB`` and ``BENCH_ARGON2_PARALLELISM``
(the runner reads them from auth's settings); the password is ``BENCH_ARGON2_PASSWORD``.
What login costs beyond this is Strata's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

if not settings.configured:
    settings.configure(USE_TZ=True)

from django.contrib.auth.hashers import Argon2PasswordHasher

PASSWORD = os.environ["BENCH_ARGON2_PASSWORD"]


class BenchArgon2Hasher(Argon2PasswordHasher):
    def params(self) -> Any:
        params = super().params()  # type: ignore[misc]  # untyped in django-stubs
        params.time_cost = int(os.environ["BENCH_ARGON2_TIME_COST"])
        params.memory_cost = int(os.environ["BENCH_ARGON2_MEMORY_KIB"])
        params.parallelism = int(os.environ["BENCH_ARGON2_PARALLELISM"])
        return params


HASHER = BenchArgon2Hasher()
ENCODED = HASHER.encode(PASSWORD, HASHER.salt())

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        given = json.loads(environ["wsgi.input"].read(length) or b"{}")
        ok = HASHER.verify(str(given.get("password", "")), ENCODED)
    except ValueError:
        ok = False
    body = json.dumps({"ok": ok}).encode()
    status = "200 OK" if ok else "401 Unauthorized"
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
