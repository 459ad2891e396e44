"""What the gateway tests share: tokens, settings, a running app and the real services.

The catalog, stock, orders, quality and counting services are the real services (database, migrations, NATS,
gRPC on port 0), started in-process with an interceptor that counts the calls they
answer. Tests seed the catalog through its own gRPC API, as another service would.
"""

from __future__ import annotations

import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import TypeVar

import grpc
import httpx
from fastapi import FastAPI
from google.type import date_pb2, decimal_pb2

from catalog import bootstrap as catalog_bootstrap
from counting import bootstrap as counting_bootstrap
from gateway.auth import User, issue
from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant_core import identity, rpc, runtime
from invariant_core.identity import Identity
from invariant_core.settings import SERVICE_PORTS, Settings
from invariant_core.testing import EventBus
from orders import bootstrap as orders_bootstrap
from quality import bootstrap as quality_bootstrap
from stock import bootstrap as stock_bootstrap

StartGateway = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
SECRET = "a-test-secret-that-is-long-enough-for-hs256"
SEEDER = Identity(actor="seeder", roles=frozenset({"admin"}))
T = TypeVar("T")


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bearer(user: str = "alice", roles: tuple[str, ...] = ("supervisor",)) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(User(id=user, roles=frozenset(roles)), SECRET, timedelta(hours=1))}"}


def gateway_settings(catalog_addr: str, **env: str) -> Settings:
    """Every peer on a loopback port nobody listens on, the catalog on `catalog_addr`."""
    peers = {f"{name.upper()}_ADDR": f"127.0.0.1:{unused_port()}" for name in SERVICE_PORTS}
    return Settings.from_env("gateway", env={**peers, "CATALOG_ADDR": catalog_addr, "JWT_SECRET": SECRET, **env})


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan started, behind an HTTP client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


@dataclass
class CallCounter(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Counts the calls a server answers by method name, and who made each."""

    calls: Counter[str] = field(default_factory=Counter)
    callers: list[Identity] = field(default_factory=list)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        self.calls[details.method.rsplit("/", 1)[-1]] += 1
        metadata = {key: value for key, value in (details.invocation_metadata or ()) if isinstance(value, str)}
        self.callers.append(Identity.from_metadata(metadata))
        return await continuation(details)

    def clear(self) -> None:
        self.calls.clear()
        self.callers.clear()


def d(value: str) -> decimal_pb2.Decimal:
    return decimal_pb2.Decimal(value=value)


@dataclass(frozen=True)
class Line:
    component_sku: str
    quantity: str
    unit: str = ""
    scrap_percent: str = ""


@dataclass
class Service:
    """A real service running in-process, counting the calls it answers."""

    running: runtime.Running
    channel: grpc.aio.Channel
    counter: CallCounter

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.running.port}"

    @property
    def calls(self) -> Counter[str]:
        return self.counter.calls

    async def stop(self) -> None:
        await self.channel.close()
        await self.running.stop()


@dataclass
class Catalog(Service):
    stub: catalog_pb2_grpc.CatalogServiceStub

    async def seed(self, send: Callable[[], Awaitable[T]]) -> T:
        """Send as the seeder (commands need an actor), without counting the call."""
        with identity.acting(SEEDER):
            try:
                return await send()
            finally:
                self.counter.clear()

    async def create_item(
        self,
        sku: str,
        *,
        base_unit: str = "PCS",
        units: dict[str, str] | None = None,
        lot_tracked: bool = False,
        barcodes: Sequence[str] = (),
    ) -> None:
        request = catalog_pb2.CreateItemRequest(
            idempotency_key=str(uuid.uuid4()),
            sku=sku,
            name=f"Item {sku}",
            base_unit=base_unit,
            units=[catalog_pb2.UnitConversion(unit=unit, factor=d(factor)) for unit, factor in (units or {}).items()],
            barcodes=[catalog_pb2.Barcode(code=code) for code in barcodes],
            lot_tracked=lot_tracked,
        )
        await self.seed(lambda: self.stub.CreateItem(request))

    async def active_bom(self, parent_sku: str, lines: Sequence[Line]) -> str:
        """An ACTIVE BOM version of the parent, effective from today; returns its id."""
        today = date.today()
        draft = await self.seed(
            lambda: self.stub.CreateBomVersion(
                catalog_pb2.CreateBomVersionRequest(
                    idempotency_key=str(uuid.uuid4()),
                    parent_sku=parent_sku,
                    effective_from=date_pb2.Date(year=today.year, month=today.month, day=today.day),
                )
            )
        )
        for line in lines:
            request = catalog_pb2.AddBomLineRequest(
                idempotency_key=str(uuid.uuid4()),
                bom_id=draft.id,
                component_sku=line.component_sku,
                quantity=d(line.quantity),
                unit=line.unit,
            )
            if line.scrap_percent:
                request.scrap_percent.CopyFrom(d(line.scrap_percent))
            await self.seed(partial(self.stub.AddBomLine, request))
        activate = catalog_pb2.ActivateBomVersionRequest(idempotency_key=str(uuid.uuid4()), bom_id=draft.id)
        await self.seed(lambda: self.stub.ActivateBomVersion(activate))
        return str(draft.id)

    async def get_item(self, sku: str) -> catalog_pb2.Item | None:
        try:
            return await self.seed(lambda: self.stub.GetItem(catalog_pb2.GetItemRequest(sku=sku)))
        except grpc.aio.AioRpcError as error:
            if error.code() is grpc.StatusCode.NOT_FOUND:
                return None
            raise

    async def audit(self, sku: str) -> list[catalog_pb2.AuditEntry]:
        reply = await self.seed(lambda: self.stub.ListAudit(catalog_pb2.ListAuditRequest(sku=sku)))
        return list(reply.entries)


async def _start(spec: runtime.ServiceSpec, grpc_service: str, env: dict[str, str]) -> Service:
    settings = Settings.from_env(spec.name, env={**env, "GRPC_PORT": "0"})
    counter = CallCounter()
    started = await runtime.start(spec, settings, interceptors=[counter])
    return Service(started, rpc.channel(f"127.0.0.1:{started.port}", [grpc_service]), counter)


async def start_catalog(database_url: str, events: EventBus) -> Catalog:
    started = await _start(
        catalog_bootstrap.SPEC, catalog_bootstrap.SERVICE_NAME, {"DATABASE_URL": database_url, **events.env}
    )
    stub = catalog_pb2_grpc.CatalogServiceStub(started.channel)  # type: ignore[no-untyped-call]
    return Catalog(started.running, started.channel, started.counter, stub)


async def start_stock(database_url: str, events: EventBus, catalog_addr: str) -> Service:
    """The stock service, reading items from the catalog at `catalog_addr`."""
    env = {"DATABASE_URL": database_url, **events.env, "CATALOG_ADDR": catalog_addr}
    return await _start(stock_bootstrap.SPEC, stock_bootstrap.SERVICE_NAME, env)


async def start_counting(database_url: str, events: EventBus, catalog_addr: str, stock_addr: str) -> Service:
    """The counting service, reading items from the catalog and the book from stock."""
    env = {"DATABASE_URL": database_url, **events.env, "CATALOG_ADDR": catalog_addr, "STOCK_ADDR": stock_addr}
    return await _start(counting_bootstrap.SPEC, counting_bootstrap.SERVICE_NAME, env)


async def start_orders(database_url: str, events: EventBus, catalog_addr: str, stock_addr: str) -> Service:
    """The orders service, reading items from the catalog and reserving through stock."""
    env = {"DATABASE_URL": database_url, **events.env, "CATALOG_ADDR": catalog_addr, "STOCK_ADDR": stock_addr}
    return await _start(orders_bootstrap.SPEC, orders_bootstrap.SERVICE_NAME, env)


async def start_quality(database_url: str, events: EventBus, catalog_addr: str, stock_addr: str) -> Service:
    """The quality service, reading items from the catalog and asking stock to hold goods by hand."""
    env = {"DATABASE_URL": database_url, **events.env, "CATALOG_ADDR": catalog_addr, "STOCK_ADDR": stock_addr}
    return await _start(quality_bootstrap.SPEC, quality_bootstrap.SERVICE_NAME, env)
