"""Server interceptors every Strata gRPC server runs, outermost first.

Each one wraps the method handler's behaviour in a context manager (its ``scope``), so
the work happens in the worker thread that runs the handler, around the handler itself
and, for server-streaming methods, around the whole stream.
"""

from __future__ import annotations

import functools
import hmac
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Protocol, cast

import grpc
import structlog
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import close_old_connections

from chassis.errors import StrataError, ValidationFailed
from chassis.grpc.metrics import GRPC_SERVER_HANDLED, GRPC_SERVER_HANDLING_SECONDS
from chassis.observability.context import REQUEST_ID_METADATA_KEY, bound_request_id

logger = structlog.get_logger(__name__)

AUTHORIZATION_METADATA_KEY = "authorization"
# Trailing metadata carrying a domain error's stable ``code`` (e.g. ``email_taken``).
ERROR_CODE_METADATA_KEY = "strata-error-code"

# Probes and tooling call these without the service credential.
CREDENTIAL_EXEMPT_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
)

# Domain errors (chassis.errors) carry the HTTP status they map to; this is its gRPC twin.
_STATUS_FOR_HTTP = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.ALREADY_EXISTS,
    413: grpc.StatusCode.INVALID_ARGUMENT,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    503: grpc.StatusCode.UNAVAILABLE,
}

Scope = Callable[[grpc.ServicerContext], AbstractContextManager[object]]

if TYPE_CHECKING:
    # grpc-stubs makes these generic; the runtime classes cannot be subscripted.
    Handler = grpc.RpcMethodHandler[Any, Any]
    ServerInterceptor = grpc.ServerInterceptor[Any, Any]
else:
    ServerInterceptor = grpc.ServerInterceptor


class _HasStatus(Protocol):
    # grpc's servicer context has code() since 1.38; grpc-stubs does not declare it.
    def code(self) -> grpc.StatusCode | None: ...


def chosen_status(context: grpc.ServicerContext) -> grpc.StatusCode | None:
    """The status code the handler set or aborted with so far, None when it set none."""
    return cast(_HasStatus, context).code()


def split_method(method: str) -> tuple[str, str]:
    """Split ``/strata.users.v1.UserDirectory/GetUser`` into service and method names."""
    service, _, name = method.lstrip("/").rpartition("/")
    return service, name


def metadata_value(context: grpc.ServicerContext, key: str) -> str | None:
    """The first text value of an invocation metadata key (keys are lower case in gRPC)."""
    for item_key, value in context.invocation_metadata():
        if item_key == key and isinstance(value, str):
            return value
    return None


class ScopedInterceptor(ServerInterceptor, ABC):
    """Runs :meth:`scope` around every call of every method the server knows."""

    def __init__(self) -> None:
        # gRPC asks every interceptor for the handler of every call; a method's handler
        # never changes, so each is wrapped once (method -> (handler, wrapped)).
        self._wrapped: dict[str, tuple[Handler, Handler]] = {}

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Handler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = continuation(handler_call_details)
        if handler is None:  # unknown method: gRPC answers UNIMPLEMENTED
            return None
        method = handler_call_details.method
        known = self._wrapped.get(method)
        if known is None or known[0] is not handler:
            known = (handler, _wrap_handler(handler, functools.partial(self.scope, method)))
            self._wrapped[method] = known
        return known[1]

    @abstractmethod
    def scope(self, method: str, context: grpc.ServicerContext) -> AbstractContextManager[object]:
        """The context manager to run the call of ``method`` in."""


def _wrap_handler(handler: Handler, scope: Scope) -> Handler:
    def around_call(behavior: Callable[..., Any]) -> Callable[..., Any]:
        # ``*extra`` passes the send-response callback of non-blocking streaming handlers
        # (the health service's Watch); ``wraps`` keeps the attributes that enable it.
        @functools.wraps(behavior)
        def call(request: Any, context: grpc.ServicerContext, *extra: Any) -> Any:
            with scope(context):
                return behavior(request, context, *extra)

        return call

    def around_stream(behavior: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        @functools.wraps(behavior)
        def stream(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            with scope(context):
                yield from behavior(request, context)

        return stream

    def around(behavior: Callable[..., Any]) -> Callable[..., Any]:
        if getattr(behavior, "experimental_non_blocking", False):
            return around_call(behavior)
        return around_stream(behavior) if handler.response_streaming else around_call(behavior)

    codecs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(around(handler.unary_unary), **codecs)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(around(handler.unary_stream), **codecs)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(around(handler.stream_unary), **codecs)
    if handler.stream_stream is not None:
        return grpc.stream_stream_rpc_method_handler(around(handler.stream_stream), **codecs)
    return handler


class MetricsInterceptor(ScopedInterceptor):
    """Counts every call by final status code and times it (see ``chassis.grpc.metrics``)."""

    @contextmanager
    def scope(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        service, name = split_method(method)
        started = time.perf_counter()
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            elapsed = time.perf_counter() - started
            GRPC_SERVER_HANDLING_SECONDS.labels(service, name).observe(elapsed)
            code = _final_status(context, failed=failed)
            GRPC_SERVER_HANDLED.labels(service, name, code.name).inc()


def _final_status(context: grpc.ServicerContext, *, failed: bool) -> grpc.StatusCode:
    code = chosen_status(context)
    if code is not None:
        return code
    if not context.is_active():
        # The client is gone: its deadline passed or it cancelled.
        if context.time_remaining() <= 0:
            return grpc.StatusCode.DEADLINE_EXCEEDED
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.UNKNOWN if failed else grpc.StatusCode.OK


class RequestIdInterceptor(ScopedInterceptor):
    """Binds the caller's ``x-request-id`` (or a fresh one) for logs and onward calls."""

    def scope(self, method: str, context: grpc.ServicerContext) -> AbstractContextManager[str]:
        return bound_request_id(metadata_value(context, REQUEST_ID_METADATA_KEY))


class ServiceCredentialInterceptor(ScopedInterceptor):
    """Rejects calls without ``authorization: Bearer <INTERNAL_GRPC_TOKEN>`` (UNAUTHENTICATED).

    The health and reflection services stay open to probes and tooling.
    """

    @contextmanager
    def scope(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        if not method.startswith(CREDENTIAL_EXEMPT_PREFIXES) and not _has_credential(context):
            logger.warning("grpc_unauthenticated_call", grpc_method=method, peer=context.peer())
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "Missing or invalid service credential.")
        yield


def _has_credential(context: grpc.ServicerContext) -> bool:
    expected: str = settings.INTERNAL_GRPC_TOKEN
    if not expected:  # fail closed: an unset token must not let everyone in
        return False
    scheme, _, presented = (metadata_value(context, AUTHORIZATION_METADATA_KEY) or "").partition(
        " "
    )
    if scheme.lower() != "bearer":
        return False
    # Bytes, because compare_digest refuses non-ASCII str; constant time either way.
    return hmac.compare_digest(presented.strip().encode(), expected.encode())


class DatabaseConnectionInterceptor(ScopedInterceptor):
    """Closes broken or expired Django DB connections before and after each call.

    gRPC handlers run in a thread pool outside Django's request cycle, so nothing else
    would drop a connection the database closed or that outlived ``CONN_MAX_AGE``.
    """

    @contextmanager
    def scope(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        close_old_connections()
        try:
            yield
        finally:
            close_old_connections()


class ErrorInterceptor(ScopedInterceptor):
    """Turns exceptions escaping a servicer into status codes without leaking internals.

    A domain error (``chassis.errors.StrataError``) becomes its gRPC twin with its
    (client-safe) detail, and its ``code`` in the ``strata-error-code`` trailing metadata.
    Anything else is logged with its stack and answered INTERNAL with a generic message;
    left alone, gRPC would answer UNKNOWN with the exception text.
    """

    @contextmanager
    def scope(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        try:
            try:
                yield
            except DjangoValidationError as error:  # full_clean() in a service function
                raise ValidationFailed.from_django(error) from error
        except StrataError as error:
            context.set_trailing_metadata(((ERROR_CODE_METADATA_KEY, error.code),))
            status = _STATUS_FOR_HTTP.get(error.status, grpc.StatusCode.FAILED_PRECONDITION)
            # Field errors travel in the detail: gRPC has no body to carry them.
            detail = error.summary() if isinstance(error, ValidationFailed) else error.detail
            context.abort(status, detail)
        except Exception:
            if chosen_status(context) not in (None, grpc.StatusCode.OK):
                raise  # the servicer aborted with a status of its choosing: keep it
            logger.exception("grpc_unhandled_exception", grpc_method=method)
            context.abort(grpc.StatusCode.INTERNAL, "Internal server error.")


def default_interceptors() -> list[ServerInterceptor]:
    """The interceptor chain of every Strata server, outermost first.

    Metrics see every outcome (rejections included); the request id is bound before
    anything logs; the credential is checked before the database is touched.
    """
    return [
        MetricsInterceptor(),
        RequestIdInterceptor(),
        ServiceCredentialInterceptor(),
        DatabaseConnectionInterceptor(),
        ErrorInterceptor(),
    ]
