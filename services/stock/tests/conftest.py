from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

import pytest
import pytest_asyncio

from catalog.bootstrap import SERVICE_NAME as CATALOG_SERVICE
from catalog.bootstrap import SPEC as CATALOG_SPEC
from invariant.catalog.v1 import catalog_pb2_grpc
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import identity, rpc, runtime
from invariant_core.settings import Settings
from invariant_core.testing import DatabaseFactory, EventBus, scratch_databases, scratch_event_bus
from stock import bootstrap
from stock.bootstrap import SERVICE_NAME, SPEC


@dataclass
class StockUnderTest:
    stock: stock_pb2_grpc.StockServiceStub
    catalog: catalog_pb2_grpc.CatalogServiceStub
    running: runtime.Running
    events: EventBus


StartServices = Callable[[DatabaseFactory], AbstractAsyncContextManager[StockUnderTest]]


@asynccontextmanager
async def running_services(new_database: DatabaseFactory, events: EventBus) -> AsyncIterator[StockUnderTest]:
    """The stock service and the catalog it reads items from, each on its own database."""
    catalog = await runtime.start(
        CATALOG_SPEC,
        Settings.from_env(
            "catalog", env={"DATABASE_URL": await new_database("catalog"), **events.env, "GRPC_PORT": "0"}
        ),
    )
    stock = await runtime.start(
        SPEC,
        Settings.from_env(
            "stock",
            env={
                "DATABASE_URL": await new_database("stock"),
                **events.env,
                "GRPC_PORT": "0",
                "CATALOG_ADDR": f"127.0.0.1:{catalog.port}",
            },
        ),
    )
    stock_channel = rpc.channel(f"127.0.0.1:{stock.port}", [SERVICE_NAME])
    catalog_channel = rpc.channel(f"127.0.0.1:{catalog.port}", [CATALOG_SERVICE])
    try:
        with identity.acting(identity.Identity(actor="tester", roles=frozenset({"admin"}))):
            yield StockUnderTest(
                stock_pb2_grpc.StockServiceStub(stock_channel),  # type: ignore[no-untyped-call]
                catalog_pb2_grpc.CatalogServiceStub(catalog_channel),  # type: ignore[no-untyped-call]
                stock,
                events,
            )
    finally:
        await stock_channel.close()
        await catalog_channel.close()
        await stock.stop()
        await catalog.stop()


@pytest.fixture
async def services(new_database: DatabaseFactory, event_bus: EventBus) -> AsyncIterator[StockUnderTest]:
    async with running_services(new_database, event_bus) as started:
        yield started


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_services(tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> AsyncIterator[StockUnderTest]:
    """`services` shared by the tests of a module, which use SKUs of their own.

    Such a module runs in one event loop: `pytestmark = pytest.mark.asyncio(loop_scope="module")`.
    """
    async with (
        scratch_databases(tmp_path_factory.mktemp("databases")) as databases,
        services_with_own_events(databases, nats_url) as started,
    ):
        yield started


@asynccontextmanager
async def services_with_own_events(databases: DatabaseFactory, nats_url: str) -> AsyncIterator[StockUnderTest]:
    async with scratch_event_bus(nats_url) as events, running_services(databases, events) as started:
        yield started


@pytest.fixture
def start_services(nats_url: str) -> StartServices:
    """For a test that runs its own event loop: `async with start_services(databases) as services`."""
    return lambda databases: services_with_own_events(databases, nats_url)


@pytest.fixture
async def services_on_their_own(
    new_database: DatabaseFactory, event_bus: EventBus, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[StockUnderTest]:
    """Like `services`, for tests of the events stock consumes and publishes: it sweeps
    expired reservations every 0.1 s instead of every few seconds."""
    monkeypatch.setattr(bootstrap, "EXPIRY_SWEEP_SECONDS", 0.1)
    async with running_services(new_database, event_bus) as started:
        yield started
