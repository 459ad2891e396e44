"""Starting and stopping a service: the same steps for every one of them.

A service describes itself with a `ServiceSpec`; `start()` wires the database, the
migrations, the outbox relay, the event consumers and the gRPC server, and returns
a handle whose `stop()` undoes it in reverse order: the server stops taking calls and
finishes those in flight, then what the service runs in the background ends, then the
connections close.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import uvloop
from nats.aio.client import Client as NatsClient
from sqlalchemy import MetaData
from sqlalchemy.engine import make_url

from invariant_core import bus, dead_letters, logs, migrations, rpc
from invariant_core.db import Translate, UnitOfWorkFactory, create_engine
from invariant_core.settings import Settings
from invariant_core.tasks import Background

log = logging.getLogger(__name__)

# How often a running service checks that it can still serve (see Readiness).
READINESS_SECONDS = 5.0
READINESS_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Wiring:
    """What a service serves: its gRPC registrars and the durable consumers it runs."""

    registrars: Sequence[rpc.Registrar]
    subscriptions: Sequence[bus.Subscription] = ()


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    metadata: MetaData
    migrations: Path
    translate: Translate
    # Wires the service once the units of work exist; what it opens (channels to peers,
    # background tasks) it hands to the stack, which closes it on stop.
    wire: Callable[[UnitOfWorkFactory, Settings, AsyncExitStack], Awaitable[Wiring]]
    grpc_services: Sequence[str]


@dataclass
class Running:
    uows: UnitOfWorkFactory
    server: rpc.RpcServer
    stack: AsyncExitStack

    @property
    def port(self) -> int:
        return self.server.port

    async def stop(self) -> None:
        await self.stack.aclose()
        # A task cancelled in the middle of a SQLite statement leaves its cursor in a cycle
        # with the cancellation's traceback. Until the collector frees that cursor, its
        # closed connection lingers and keeps the file's write lock from every other
        # process: a service stopped inside a process that goes on must free it now.
        gc.collect()


def run_in_background(stack: AsyncExitStack, coroutine: Coroutine[Any, Any, None], name: str) -> None:
    """A task that runs until the stack closes, cancelled then."""
    background = Background()
    background.start(coroutine, name)
    stack.push_async_callback(background.aclose)


async def _events(
    name: str,
    settings: Settings,
    uows: UnitOfWorkFactory,
    subscriptions: Sequence[bus.Subscription],
    stack: AsyncExitStack,
    health: bus.EventsHealth,
) -> None:
    """Connect to NATS (waiting as long as it takes), then run the relay and consumers."""
    nc: NatsClient = await bus.connect(settings.nats_url, name, health)
    stack.push_async_callback(bus.disconnect, nc)
    js = nc.jetstream()
    stream = bus.Stream(settings.events_namespace)
    await bus.ensure_stream(js, stream, settings.stream_replicas)
    background = Background()
    stack.push_async_callback(background.aclose)
    background.start(bus.OutboxRelay(uows, js, stream, nc.max_payload).run(), f"{name}-relay")
    for sub in subscriptions:
        consumer = bus.Consumer(uows, js, stream, sub, health)
        background.start(consumer.run(), f"{name}-{sub.durable}", stop=consumer.stop)


async def _not_ready(service: str, uows: UnitOfWorkFactory, head: str | None) -> str | None:
    """Why the service cannot serve (its database unreachable, or not migrated to what its
    code expects), or None."""
    try:
        # A reader: it takes no write lock, which on SQLite would hold back every writer.
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS), uows.reader() as uow:
            at = await migrations.current(await uow.session.connection())
    except Exception as error:  # noqa: BLE001 - whatever it is, the service cannot serve
        return f"database unreachable: {type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
    if at != head:
        return f"database at migration {at or 'none'}, the service needs {head}: run `python -m {service} migrate`"
    return None


class Readiness:
    """Whether the service can serve, as its health says: a database that answers and is
    migrated to what the code expects. Checked at start and every READINESS_SECONDS."""

    def __init__(self, service: str, server: rpc.RpcServer, uows: UnitOfWorkFactory, head: str | None) -> None:
        self._service = service
        self._server = server
        self._uows = uows
        self._head = head
        self._ready: bool | None = None

    async def check(self) -> None:
        reason = await _not_ready(self._service, self._uows, self._head)
        ready = reason is None
        if ready == self._ready:
            return
        self._ready = ready
        for name in (*self._server.service_names, ""):
            await self._server.set_health(name, serving=ready)
        if ready:
            log.info("ready: serving")
        else:
            log.warning("not ready: reported NOT_SERVING", extra={"fields": {"reason": reason}})

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(READINESS_SECONDS)
            await self.check()


async def _report_events(server: rpc.RpcServer, health: bus.EventsHealth) -> None:
    """Keep the events' entry in the health service current (see bus.EventsHealth)."""
    while True:
        health.changed.clear()
        await server.set_health(bus.EVENTS_HEALTH, serving=health.flowing)
        await health.changed.wait()


async def start(
    spec: ServiceSpec, settings: Settings, interceptors: Sequence[grpc.aio.ServerInterceptor] = ()
) -> Running:
    stack = AsyncExitStack()
    try:
        if settings.migrate_on_start:
            await migrations.upgrade(spec.migrations, settings.database_url)
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        # A database out of reach at start fails the start (an orchestrator restarts the
        # process); once running, the service only reports it (Readiness).
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS), engine.connect():
            pass
        uows = UnitOfWorkFactory(engine, spec.metadata, spec.name, spec.translate)
        # The service answers commands while NATS is away: events wait in the outbox.
        events = AsyncExitStack()
        stack.push_async_callback(events.aclose)
        wiring = await spec.wire(uows, settings, stack)
        events_health = bus.EventsHealth()
        run_in_background(
            stack,
            _events(spec.name, settings, uows, wiring.subscriptions, events, events_health),
            f"{spec.name}-events",
        )
        server = rpc.build_server(
            settings.grpc_host,
            settings.grpc_port,
            [*wiring.registrars, dead_letters.registrar(uows)],
            [*spec.grpc_services, dead_letters.SERVICE_NAME],
            reflect=not settings.production,
            interceptors=interceptors,
        )
        await server.start()
        stack.push_async_callback(server.stop, drain=settings.drain_seconds)
        readiness = Readiness(spec.name, server, uows, migrations.head(spec.migrations))
        await readiness.check()
        run_in_background(stack, readiness.watch(), f"{spec.name}-readiness")
        run_in_background(stack, _report_events(server, events_health), f"{spec.name}-events-health")
    except BaseException:
        await stack.aclose()
        raise
    log.info("serving", extra={"fields": {"port": server.port, "database": engine.url.render_as_string()}})
    return Running(uows=uows, server=server, stack=stack)


def main(spec: ServiceSpec) -> None:
    """`python -m <service>` serves; `python -m <service> migrate` only migrates."""
    settings = Settings.from_env(spec.name)
    logs.configure(spec.name, settings.log_level)
    command = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if command not in ("serve", "migrate"):
        sys.exit(f"usage: python -m {spec.name} [serve|migrate]")
    try:
        if command == "migrate":
            asyncio.run(migrations.upgrade(spec.migrations, settings.database_url))
            return

        async def started() -> Callable[[], Awaitable[None]]:
            running = await start(spec, settings)
            # What starting made lives as long as the process: keep it out of every
            # collection, so that collections only walk what requests leave behind.
            gc.freeze()
            return running.stop

        # Requests allocate many short-lived objects that reference counting frees; the
        # default thresholds would run the cyclic collector every few requests.
        gc.set_threshold(100_000, 50, 50)
        uvloop.run(rpc.serve_until_signalled(started))
    except Exception as error:  # noqa: BLE001 - said in one line, and the process exits non-zero
        # What an operator reads first in a crash-looping pod: what failed and where, not a traceback.
        database = make_url(settings.database_url).render_as_string(hide_password=True)
        reason = f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"
        log.error("could not start", extra={"fields": {"command": command, "database": database, "error": reason}})
        sys.exit(1)
