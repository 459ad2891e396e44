"""Starting and stopping a service: the same steps for every one of them.

A service describes itself with a `ServiceSpec`; `start()` wires the database, the
migrations, the outbox relay, the event consumers and the gRPC server, and returns
a handle whose `stop()` undoes it in reverse order.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import uvloop
from nats.aio.client import Client as NatsClient
from sqlalchemy import MetaData

from invariant_core import bus, logs, migrations, rpc
from invariant_core.db import Translate, UnitOfWorkFactory, create_engine
from invariant_core.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    metadata: MetaData
    migrations: Path
    translate: Translate
    # Builds the gRPC registrars once the units of work exist; what it opens (channels to
    # peers, background tasks) it hands to the stack, which closes it on stop.
    registrars: Callable[[UnitOfWorkFactory, Settings, AsyncExitStack], Awaitable[Sequence[rpc.Registrar]]]
    grpc_services: Sequence[str]
    subscriptions: Sequence[bus.Subscription] = field(default_factory=tuple)


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


async def run_in_background(stack: AsyncExitStack, coroutine: Coroutine[Any, Any, None], name: str) -> None:
    task = asyncio.create_task(coroutine, name=name)

    async def cancel() -> None:
        # Cancel until it ends: a library that swallows one cancellation (as wait_for
        # can on 3.11) must not keep the service from stopping.
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    stack.push_async_callback(cancel)


async def _events(spec: ServiceSpec, settings: Settings, uows: UnitOfWorkFactory, stack: AsyncExitStack) -> None:
    """Connect to NATS (waiting as long as it takes), then run the relay and consumers."""
    nc: NatsClient = await bus.connect(settings.nats_url, name=spec.name)
    stack.push_async_callback(nc.drain)
    js = nc.jetstream()
    await bus.ensure_stream(js, settings.stream_replicas)
    await run_in_background(stack, bus.OutboxRelay(uows, js).run(), f"{spec.name}-relay")
    for sub in spec.subscriptions:
        await run_in_background(stack, bus.Consumer(uows, js, spec.name, sub).run(), f"{spec.name}-{sub.durable}")


async def start(
    spec: ServiceSpec, settings: Settings, interceptors: Sequence[grpc.aio.ServerInterceptor] = ()
) -> Running:
    stack = AsyncExitStack()
    try:
        if settings.migrate_on_start:
            await migrations.upgrade(spec.migrations, settings.database_url)
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        uows = UnitOfWorkFactory(engine, spec.metadata, spec.name, spec.translate)
        # The service answers commands while NATS is away: events wait in the outbox.
        events = AsyncExitStack()
        stack.push_async_callback(events.aclose)
        await run_in_background(stack, _events(spec, settings, uows, events), f"{spec.name}-events")
        server = rpc.build_server(
            settings.grpc_host,
            settings.grpc_port,
            await spec.registrars(uows, settings, stack),
            spec.grpc_services,
            reflect=not settings.production,
            interceptors=interceptors,
        )
        await server.start()
        stack.push_async_callback(server.stop)
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
    if command == "migrate":
        asyncio.run(migrations.upgrade(spec.migrations, settings.database_url))
    elif command == "serve":

        async def serve() -> None:
            running = await start(spec, settings)
            # What starting made lives as long as the process: keep it out of every
            # collection, so that collections only walk what requests leave behind.
            gc.freeze()
            await rpc.serve_until_signalled(running.stop)

        # Requests allocate many short-lived objects that reference counting frees; the
        # default thresholds run the cyclic collector every few requests. Together with
        # uvloop this measured about 1.5 times the reservations per second (make bench).
        gc.set_threshold(100_000, 50, 50)
        uvloop.run(serve())
    else:
        sys.exit(f"usage: python -m {spec.name} [serve|migrate]")
