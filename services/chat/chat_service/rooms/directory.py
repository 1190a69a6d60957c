"""Who users are, asked of the users service (``UserDirectory``) and cached in Redis.

Names are cached for ``CHAT_SENDER_NAME_CACHE_SECONDS``; ``users.user_updated`` forgets a
renamed user's entry at once (see ``handlers``). When users cannot answer, names are
``None`` for now and nothing is cached, so the next read asks again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import grpc
import structlog
from django.conf import settings
from django.core.cache import cache

from chassis.errors import DependencyUnavailable
from chassis.grpc.client import stub
from strata.users.v1.user_directory_pb2 import BatchGetUsersRequest
from strata.users.v1.user_directory_pb2_grpc import UserDirectoryStub

logger = structlog.get_logger(__name__)

BATCH_LIMIT = 500  # UserDirectory.BatchGetUsers takes at most this many ids
# Cached for ids users does not know, so a page of messages from a deleted profile does
# not ask again on every read; short, in case the profile is being created right now.
_UNKNOWN = ""
_UNKNOWN_CACHE_SECONDS = 60
_KEY = "sender-name:{id}"


def _key(user_id: str) -> str:
    return _KEY.format(id=user_id)


def _batch_get(user_ids: list[str]) -> dict[str, str]:
    directory = stub(UserDirectoryStub, "users")
    names: dict[str, str] = {}
    for start in range(0, len(user_ids), BATCH_LIMIT):
        chunk = user_ids[start : start + BATCH_LIMIT]
        response = directory.BatchGetUsers(
            BatchGetUsersRequest(ids=chunk), timeout=settings.CHAT_DIRECTORY_TIMEOUT_SECONDS
        )
        names.update({user.id: user.name for user in response.users})
    return names


def sender_names(*, user_ids: Iterable[uuid.UUID | str]) -> dict[str, str | None]:
    """Each user's display name by id (``None`` when unknown or users is unreachable)."""
    wanted = list(dict.fromkeys(str(user_id) for user_id in user_ids))
    if not wanted:
        return {}
    cached: dict[str, str] = {
        key.split(":", 1)[1]: value
        for key, value in cache.get_many([_key(user_id) for user_id in wanted]).items()
    }
    missing = [user_id for user_id in wanted if user_id not in cached]
    if missing:
        try:
            fresh = _batch_get(missing)
        except grpc.RpcError as exc:
            logger.warning("sender_names_unavailable", code=str(exc.code()), count=len(missing))
            fresh = {}
        else:
            cache.set_many(
                {_key(user_id): name for user_id, name in fresh.items()},
                timeout=settings.CHAT_SENDER_NAME_CACHE_SECONDS,
            )
            unknown = [user_id for user_id in missing if user_id not in fresh]
            cache.set_many(
                {_key(user_id): _UNKNOWN for user_id in unknown}, timeout=_UNKNOWN_CACHE_SECONDS
            )
        cached.update(fresh)
    return {user_id: cached.get(user_id) or None for user_id in wanted}


def sender_name(*, user_id: uuid.UUID | str) -> str | None:
    return sender_names(user_ids=[user_id])[str(user_id)]


def user_exists(*, user_id: uuid.UUID) -> bool:
    """Whether users knows ``user_id``; ``DependencyUnavailable`` when it cannot say."""
    try:
        found = _batch_get([str(user_id)])
    except grpc.RpcError as exc:
        raise DependencyUnavailable("The user directory is unavailable.") from exc
    if found:
        cache.set(_key(str(user_id)), found[str(user_id)], settings.CHAT_SENDER_NAME_CACHE_SECONDS)
    return bool(found)


def forget_sender_name(*, user_id: uuid.UUID | str) -> None:
    cache.delete(_key(str(user_id)))
