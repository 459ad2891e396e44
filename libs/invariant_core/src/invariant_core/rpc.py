"""gRPC on both sides: the server every service runs, and the channels callers use.

Server: identity and correlation id from metadata into `identity.current`; mutating
calls (methods not marked `idempotency_level = NO_SIDE_EFFECTS` in the proto) need an
actor; domain errors become status codes with google.rpc details in one place.
Client: identity into metadata, a deadline on every call within which a restarting peer is
waited for, and a retry policy for UNAVAILABLE, safe because every method is either
side-effect free or keyed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2_grpc
from grpc_status import rpc_status
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from invariant_core import identity
from invariant_core.commands import is_conflict
from invariant_core.tasks import GRACE_SECONDS
from invariant_kernel import limits
from invariant_kernel.errors import DomainError, ErrorCode

log = logging.getLogger(__name__)

ERROR_DOMAIN = "invariant"
DEFAULT_DEADLINE_SECONDS = 10.0

_STATUS = {
    ErrorCode.NOT_FOUND: (grpc.StatusCode.NOT_FOUND, code_pb2.NOT_FOUND),
    ErrorCode.ALREADY_EXISTS: (grpc.StatusCode.ALREADY_EXISTS, code_pb2.ALREADY_EXISTS),
    ErrorCode.INVALID_STATE: (grpc.StatusCode.FAILED_PRECONDITION, code_pb2.FAILED_PRECONDITION),
    ErrorCode.INSUFFICIENT_STOCK: (grpc.StatusCode.FAILED_PRECONDITION, code_pb2.FAILED_PRECONDITION),
    ErrorCode.IDEMPOTENCY_KEY_REUSED: (grpc.StatusCode.FAILED_PRECONDITION, code_pb2.FAILED_PRECONDITION),
    ErrorCode.UNAUTHENTICATED: (grpc.StatusCode.UNAUTHENTICATED, code_pb2.UNAUTHENTICATED),
    ErrorCode.PERMISSION_DENIED: (grpc.StatusCode.PERMISSION_DENIED, code_pb2.PERMISSION_DENIED),
    ErrorCode.UNAVAILABLE: (grpc.StatusCode.UNAVAILABLE, code_pb2.UNAVAILABLE),
}
_INVALID = (grpc.StatusCode.INVALID_ARGUMENT, code_pb2.INVALID_ARGUMENT)


def to_status(error: DomainError) -> status_pb2.Status:
    _, code = _STATUS.get(error.code, _INVALID)
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=error.code, domain=ERROR_DOMAIN, metadata={"field": error.field}))
    details = [info]
    if error.field:
        bad = any_pb2.Any()
        bad.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=error.field, description=error.message)
                ]
            )
        )
        details.append(bad)
    return status_pb2.Status(code=code, message=error.message, details=details)


def from_rpc_error(error: grpc.aio.AioRpcError) -> DomainError:
    """Turn a failed call back into the DomainError the service raised."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info) and info.domain == ERROR_DOMAIN:
                    return DomainError(ErrorCode(info.reason), status.message, info.metadata.get("field", ""))
    if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED):
        return DomainError(ErrorCode.UNAVAILABLE, f"a service did not answer: {error.details()}")
    raise error


def too_long(message: Message, limit: int = limits.TEXT, path: str = "") -> str:
    """The path of the first string in a request longer than `limit` ("" if none), in the
    proto's field names: `entries[3].note`."""
    for field, value in message.ListFields():
        name = f"{path}{field.name}"
        repeated = field.is_repeated
        if field.type == FieldDescriptor.TYPE_STRING:
            texts = enumerate(value) if repeated else [(None, value)]
            for index, text in texts:
                if len(text) > limit:
                    return name if index is None else f"{name}[{index}]"
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                for key, item in value.items():
                    if len(str(key)) > limit or (isinstance(item, str) and len(item) > limit):
                        return f"{name}[{str(key)[: limits.CODE]}]"
                continue
            children = enumerate(value) if repeated else [(None, value)]
            for index, child in children:
                if child.ByteSize() <= limit:  # measured in C: too small to hold a longer string
                    continue
                found = too_long(child, limit, f"{name}." if index is None else f"{name}[{index}].")
                if found:
                    return found
    return ""


def _require_bounded_text(request: Message) -> None:
    # A request smaller than the limit holds no string longer than it: most calls are
    # measured in C and never walked.
    if request.ByteSize() > limits.TEXT and (field := too_long(request)):
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"{field} takes at most {limits.TEXT} characters", field)


def failure_status(error: Exception) -> tuple[grpc.StatusCode, str]:
    """The status a caller gets for a failure that is not a refusal, and what it is told.

    What a retry can cure is UNAVAILABLE (the database unreachable or busy) or ABORTED (a
    deadlock or serialization failure), both retried by the channels; anything else is
    INTERNAL. No message carries internals (SQL, stack): the log has them, found by the
    correlation id the message gives.
    """
    if is_conflict(error):
        return grpc.StatusCode.ABORTED, "the database gave up the transaction for a conflict with another: retry"
    if isinstance(error, DBAPIError) and (
        error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    ):
        return grpc.StatusCode.UNAVAILABLE, "the service cannot reach its database: retry"
    return grpc.StatusCode.INTERNAL, f"internal error (correlation id {identity.current.get().correlation_id})"


async def _fail(context: grpc.aio.ServicerContext, error: Exception, who: identity.Identity) -> None:
    code, message = failure_status(error)
    fields = {"code": code.name, "correlation_id": who.correlation_id, "actor": who.actor}
    if code is grpc.StatusCode.INTERNAL:
        log.error("call failed", exc_info=error, extra={"fields": fields})
    else:
        log.warning("call failed, the caller may retry", extra={"fields": {**fields, "error": repr(error)[:500]}})
    await context.abort(code, message)


async def _answer(context: grpc.aio.ServicerContext, error: Exception, who: identity.Identity) -> None:
    """End a call that raised: a refusal reaches the caller as a structured status; any other
    failure as the status that says whether a retry can cure it (failure_status)."""
    if isinstance(error, DomainError):
        await context.abort_with_status(rpc_status.to_status(to_status(error)))
    if isinstance(error, grpc.aio.AbortError):
        raise error
    await _fail(context, error, who)


def _is_query(method: str) -> bool:
    """True when the proto marks the method NO_SIDE_EFFECTS (e.g. '/pkg.Service/Get')."""
    service_name, _, method_name = method.lstrip("/").partition("/")
    service = descriptor_pool.Default().FindServiceByName(service_name)
    options = service.methods_by_name[method_name].GetOptions()
    return bool(options.idempotency_level == descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS)


def _guarded(method: str, handler: grpc.RpcMethodHandler | None) -> grpc.RpcMethodHandler | None:
    """The handler, run as its caller: a command needs an actor, and a DomainError reaches
    the client as a structured status, for unary calls and server streams alike.

    Wrapped once, when the service registers, rather than by a server interceptor, which
    grpc runs on every call, at a cost a busy server notices.
    """
    if handler is None or (handler.unary_unary is None and handler.unary_stream is None):
        return handler
    needs_actor = not _is_query(method)

    def caller(context: grpc.aio.ServicerContext) -> identity.Identity:
        metadata = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
        return identity.Identity.from_metadata(metadata)

    def check(who: identity.Identity, request: Message) -> None:
        if needs_actor and not who.actor:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "the command carries no actor", "")
        _require_bounded_text(request)

    if handler.unary_stream is not None:
        stream = handler.unary_stream

        async def streamed(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            with identity.acting(caller(context)) as who:
                try:
                    check(who, request)
                    async for reply in stream(request, context):
                        yield reply
                except Exception as error:  # noqa: BLE001 - mapped to a status in one place
                    await _answer(context, error, who)

        return grpc.unary_stream_rpc_method_handler(
            streamed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    inner = handler.unary_unary

    # A try block, not a context manager: this runs on every call a service takes.
    async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
        with identity.acting(caller(context)) as who:
            try:
                check(who, request)
                return await inner(request, context)
            except Exception as error:  # noqa: BLE001 - mapped to a status in one place
                await _answer(context, error, who)

    return grpc.unary_unary_rpc_method_handler(
        call, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
    )


class _GuardedGeneric(grpc.GenericRpcHandler):  # type: ignore[misc]
    def __init__(self, inner: grpc.GenericRpcHandler) -> None:
        self._inner = inner
        self._handlers: dict[str, grpc.RpcMethodHandler] = {}

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        found = self._handlers.get(details.method)
        if found is None:
            # Methods it has no handler for are not kept: callers choose their names.
            found = _guarded(details.method, self._inner.service(details))
            if found is not None:
                self._handlers[details.method] = found
        return found


class Registry(Protocol):
    """What a service's generated `add_*Servicer_to_server` adds its handlers to."""

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None: ...

    def add_registered_method_handlers(self, service: str, handlers: dict[str, grpc.RpcMethodHandler]) -> None: ...


@dataclass(frozen=True)
class _GenericOnly:
    """The server as a service's registrar sees it: its handlers are served through the
    generic handler that every generated `add_*_to_server` adds, never as registered
    methods. grpc's asyncio server keeps one pending request per registered method and
    waits on all of them for every call it takes, so a service of thirty methods would pay
    that thirty times over on each call. `guarded`: every handler runs as its caller
    (`_guarded`); health's and reflection's are not.
    """

    server: grpc.aio.Server
    guarded: bool = True

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self.server.add_generic_rpc_handlers([_GuardedGeneric(h) for h in handlers] if self.guarded else handlers)

    def add_registered_method_handlers(self, service: str, handlers: dict[str, grpc.RpcMethodHandler]) -> None:
        """Nothing: the generic handler added with these serves the same methods."""


Registrar = Callable[[Registry], None]


@dataclass
class RpcServer:
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int
    service_names: Sequence[str]

    async def start(self) -> None:
        await self.server.start()
        for name in (*self.service_names, ""):
            await self.set_health(name, serving=True)

    async def set_health(self, service: str, *, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        await self.health.set(service, status)

    async def stop(self, grace: float = GRACE_SECONDS, drain: float = 0.0) -> None:
        """Report NOT_SERVING and keep serving for `drain` seconds, while load balancers and
        callers' channels turn to other replicas; then take no new call (a caller is told
        UNAVAILABLE, which channels retry) and finish those in flight within `grace`."""
        await self.health.enter_graceful_shutdown()
        if drain > 0:
            log.info("draining: not serving, still answering", extra={"fields": {"seconds": drain}})
            await asyncio.sleep(drain)
        await self.server.stop(grace)


def build_server(
    host: str,
    port: int,
    registrars: Sequence[Registrar],
    service_names: Sequence[str],
    reflect: bool,
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
) -> RpcServer:
    """Build (not start) a server; port 0 picks a free port, as tests do.

    `interceptors` run before the identity and error mapping (metrics, call counting).
    """
    # Connections are recycled so that callers spread over replicas added since they connected.
    server = grpc.aio.server(
        interceptors=interceptors,
        options=[("grpc.max_connection_age_ms", 300_000), ("grpc.max_connection_age_grace_ms", 30_000)],
    )
    for register in registrars:
        register(_GenericOnly(server))
    unguarded = _GenericOnly(server, guarded=False)
    checker = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checker, unguarded)
    if reflect:
        names = [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME]
        reflection_pb2_grpc.add_ServerReflectionServicer_to_server(reflection.aio.ReflectionServicer(names), unguarded)
    bound = server.add_insecure_port(f"{host}:{port}")
    return RpcServer(server=server, health=checker, port=bound, service_names=service_names)


async def serve_until_signalled(start: Callable[[], Awaitable[Callable[[], Awaitable[None]]]]) -> None:
    """Run `start` (it returns how to stop), block until SIGTERM or SIGINT, then stop once.

    The handlers are in place before the start: a SIGTERM that comes while the service starts,
    or just after it reports SERVING, stops it cleanly once it is up instead of killing it.
    """
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    stop = await start()
    await stopping.wait()
    await stop()


class _AsCaller:
    """A peer's method, called as whoever is acting now, within a deadline (the first
    argument is the request, or the requests of a client stream).

    This, not a client interceptor: grpc runs an interceptor in a task of its own for every
    call, at a cost every caller of a busy peer pays.
    """

    __slots__ = ("_method",)

    def __init__(self, method: Any) -> None:
        self._method = method

    def __call__(
        self,
        request: Any,
        *,
        timeout: float | None = None,
        metadata: Sequence[tuple[str, str | bytes]] | None = None,
        credentials: grpc.CallCredentials | None = None,
        wait_for_ready: bool | None = None,
        compression: grpc.Compression | None = None,
    ) -> Any:
        return self._method(
            request,
            timeout=DEFAULT_DEADLINE_SECONDS if timeout is None else timeout,
            metadata=(*(metadata or ()), *identity.current.get().to_metadata()),
            credentials=credentials,
            # A peer that is restarting is waited for within the deadline: failing at once
            # would only make every caller retry by hand (every call is idempotent or
            # side-effect free).
            wait_for_ready=True if wait_for_ready is None else wait_for_ready,
            compression=compression,
        )


class _Channel(grpc.aio.Channel):  # type: ignore[misc]
    """A channel whose every call carries the caller's identity and a deadline."""

    def __init__(self, inner: grpc.aio.Channel) -> None:
        self._inner = inner

    def unary_unary(self, *args: Any, **kwargs: Any) -> Any:
        return _AsCaller(self._inner.unary_unary(*args, **kwargs))

    def unary_stream(self, *args: Any, **kwargs: Any) -> Any:
        return _AsCaller(self._inner.unary_stream(*args, **kwargs))

    def stream_unary(self, *args: Any, **kwargs: Any) -> Any:
        return _AsCaller(self._inner.stream_unary(*args, **kwargs))

    def stream_stream(self, *args: Any, **kwargs: Any) -> Any:
        return _AsCaller(self._inner.stream_stream(*args, **kwargs))

    async def __aenter__(self) -> _Channel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._inner.close(None)

    async def close(self, grace: float | None = None) -> None:
        await self._inner.close(grace)

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        return self._inner.get_state(try_to_connect)

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        await self._inner.wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        await self._inner.channel_ready()


def channel(target: str, services: Sequence[str]) -> grpc.aio.Channel:
    """A channel to a peer: identity in metadata, a default deadline, retries on UNAVAILABLE."""
    config = {
        "methodConfig": [
            {
                "name": [{"service": s} for s in services],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE", "ABORTED"],
                },
            }
        ]
    }
    inner = grpc.aio.insecure_channel(
        target,
        options=[
            ("grpc.service_config", json.dumps(config)),
            ("grpc.enable_retries", 1),
            # Spread calls over every address the name resolves to (a headless Service's pods).
            ("grpc.lb_policy_name", "round_robin"),
            # A peer that restarts is back within a second or two. gRPC's default backoff grows
            # to minutes, and while it waits every call fails at once with UNAVAILABLE, well
            # after the peer is serving again.
            ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 1000),
        ],
    )
    return _Channel(inner)


async def check_health(target: str, service: str = "", deadline: float = 2.0) -> str:
    """The gRPC health status name of `service` at `target` (UNKNOWN when unreachable)."""
    async with grpc.aio.insecure_channel(target) as ch:
        try:
            reply = await health_pb2_grpc.HealthStub(ch).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=deadline
            )
        except grpc.aio.AioRpcError:
            return "UNKNOWN"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
