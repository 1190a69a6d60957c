"""Channels and stubs for calling other Strata services.

One channel per target for the whole process (a channel multiplexes calls over one
HTTP/2 connection and reconnects by itself; making one per call is slow and leaks).
Every call made through it carries the internal service credential, the current request
id and a deadline, and is retried by gRPC itself when the server answers UNAVAILABLE::

    users = stub(UserDirectoryStub, "users")
    user = users.GetUser(GetUserRequest(id=str(user_id)))
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from chassis.grpc.interceptors import AUTHORIZATION_METADATA_KEY
from chassis.observability.context import REQUEST_ID_METADATA_KEY, get_request_id

StubT = TypeVar("StubT")

# gRPC's built-in retries: only UNAVAILABLE (the call did not reach a working server), a
# few attempts with jittered exponential backoff, all within the caller's deadline.
_SERVICE_CONFIG = {
    "methodConfig": [
        {
            "name": [{}],  # every method of every service
            "retryPolicy": {
                "maxAttempts": 4,
                "initialBackoff": "0.1s",
                "maxBackoff": "1s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }
    ]
}
_CHANNEL_OPTIONS = [
    ("grpc.enable_retries", 1),
    ("grpc.service_config", json.dumps(_SERVICE_CONFIG)),
    # Pings find a dead peer (a killed pod, a dropped NAT entry) before a call hangs on it;
    # the server side accepts this rate (chassis.grpc.server).
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
]

if TYPE_CHECKING:
    # grpc-stubs makes these generic; the runtime classes cannot be subscripted.
    _UnaryUnary = grpc.UnaryUnaryClientInterceptor[Any, Any]
    _UnaryStream = grpc.UnaryStreamClientInterceptor[Any, Any]
    _StreamUnary = grpc.StreamUnaryClientInterceptor[Any, Any]
    _StreamStream = grpc.StreamStreamClientInterceptor[Any, Any]
else:
    _UnaryUnary = grpc.UnaryUnaryClientInterceptor
    _UnaryStream = grpc.UnaryStreamClientInterceptor
    _StreamUnary = grpc.StreamUnaryClientInterceptor
    _StreamStream = grpc.StreamStreamClientInterceptor

_channels: dict[str, grpc.Channel] = {}
_channels_lock = threading.Lock()


@dataclass(frozen=True)
class _CallDetails(grpc.ClientCallDetails):
    method: str
    timeout: float | None
    metadata: grpc.Metadata | None
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None


class OutgoingCallInterceptor(_UnaryUnary, _UnaryStream, _StreamUnary, _StreamStream):
    """Adds the service credential, the request id and the default deadline to calls.

    Metadata the caller passed itself wins over what is added here; settings are read
    per call so that they can change under tests.
    """

    def intercept_unary_unary(
        self,
        continuation: Callable[..., Any],
        client_call_details: grpc.ClientCallDetails,
        request: Any,
    ) -> Any:
        return continuation(self.prepare(client_call_details), request)

    def intercept_unary_stream(
        self,
        continuation: Callable[..., Any],
        client_call_details: grpc.ClientCallDetails,
        request: Any,
    ) -> Any:
        return continuation(self.prepare(client_call_details), request)

    def intercept_stream_unary(
        self,
        continuation: Callable[..., Any],
        client_call_details: grpc.ClientCallDetails,
        request_iterator: Any,
    ) -> Any:
        return continuation(self.prepare(client_call_details), request_iterator)

    def intercept_stream_stream(
        self,
        continuation: Callable[..., Any],
        client_call_details: grpc.ClientCallDetails,
        request_iterator: Any,
    ) -> Any:
        return continuation(self.prepare(client_call_details), request_iterator)

    @staticmethod
    def prepare(details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        """The call details with the credential, request id and deadline filled in."""
        metadata = list(details.metadata or ())
        given = {key for key, _value in metadata}
        if AUTHORIZATION_METADATA_KEY not in given:
            metadata.append((AUTHORIZATION_METADATA_KEY, f"Bearer {settings.INTERNAL_GRPC_TOKEN}"))
        request_id = get_request_id()
        if request_id is not None and REQUEST_ID_METADATA_KEY not in given:
            metadata.append((REQUEST_ID_METADATA_KEY, request_id))
        timeout = details.timeout
        if timeout is None:
            timeout = float(settings.GRPC_DEFAULT_TIMEOUT)
        return replace(_as_call_details(details), metadata=tuple(metadata), timeout=timeout)


def _as_call_details(details: grpc.ClientCallDetails) -> _CallDetails:
    if isinstance(details, _CallDetails):
        return details
    # grpc passes its own private details type: copy it into ours to replace fields.
    return _CallDetails(
        method=details.method,
        timeout=details.timeout,
        metadata=details.metadata,
        credentials=details.credentials,
        wait_for_ready=details.wait_for_ready,
        compression=details.compression,
    )


def get_channel(target: str) -> grpc.Channel:
    """The process-wide channel to ``target`` (``host:port``), created on first use."""
    with _channels_lock:
        channel = _channels.get(target)
        if channel is None:
            channel = grpc.intercept_channel(
                grpc.insecure_channel(target, options=_CHANNEL_OPTIONS),
                OutgoingCallInterceptor(),
            )
            _channels[target] = channel
        return channel


def stub(stub_class: Callable[[grpc.Channel], StubT], service: str) -> StubT:
    """A ``stub_class`` on the shared channel to ``settings.GRPC_TARGETS[service]``.

    Stubs are cheap; the channel under them is the shared one.
    """
    try:
        target: str = settings.GRPC_TARGETS[service]
    except KeyError:
        raise ImproperlyConfigured(
            f"settings.GRPC_TARGETS has no entry for the {service!r} service"
        ) from None
    return stub_class(get_channel(target))


def close_channels() -> None:
    """Close every cached channel (at shutdown, or between tests)."""
    with _channels_lock:
        channels = list(_channels.values())
        _channels.clear()
    for channel in channels:
        channel.close()
