"""The one place that picks the orders service's concrete adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from invariant.catalog.v1 import catalog_pb2_grpc
from invariant.orders.v1 import orders_pb2, orders_pb2_grpc
from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core import rpc
from invariant_core.commands import Dispatcher, Route
from invariant_core.db import UnitOfWork, UnitOfWorkFactory
from invariant_core.items import CATALOG, read_through_catalog
from invariant_core.outgoing import send_in_background
from invariant_core.rpc import Registry
from invariant_core.runtime import ServiceSpec, Wiring
from invariant_core.settings import Settings
from orders.adapters.boms import CatalogBoms
from orders.adapters.events import to_message
from orders.adapters.items import OrdersItemReplica
from orders.adapters.purchasing_clients import StockAndCatalogPlaces, StockReceiving
from orders.adapters.repository import SqlOrdersRepository
from orders.adapters.stock import StockCommands
from orders.adapters.tables import metadata
from orders.adapters.work_stock import WORK_RELEASE, WorkOrderReleases, WorkOrderStock
from orders.api import consumers
from orders.api.purchasing_consumers import purchasing_subscriptions
from orders.api.servicer import OrdersServicer
from orders.service.commands import command_table, work_order_table
from orders.service.ports import OrdersRepository
from orders.service.purchasing_commands import purchasing_table

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
SERVICE_NAME = orders_pb2.DESCRIPTOR.services_by_name["OrdersService"].full_name
STOCK = stock_pb2.DESCRIPTOR.services_by_name["StockService"].full_name


def _repository(uow: UnitOfWork) -> SqlOrdersRepository:
    return SqlOrdersRepository(uow.session)


async def wire(uows: UnitOfWorkFactory, settings: Settings, stack: AsyncExitStack) -> Wiring:
    stock_channel = rpc.channel(settings.peers["stock"], [STOCK])
    stack.push_async_callback(stock_channel.close)
    stock_stub = stock_pb2_grpc.StockServiceStub(stock_channel)  # type: ignore[no-untyped-call]
    stock = StockReceiving(stock_stub)
    items = read_through_catalog(uows, settings, stack, OrdersItemReplica())
    catalog_channel = rpc.channel(settings.peers["catalog"], [CATALOG])
    stack.push_async_callback(catalog_channel.close)
    catalog = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)  # type: ignore[no-untyped-call]
    boms = CatalogBoms(catalog)
    to_stock = StockCommands(WORK_RELEASE)
    send_in_background(uows, to_stock.outgoing, settings, stack)

    @asynccontextmanager
    async def reading() -> AsyncIterator[SqlOrdersRepository]:
        async with uows.reader() as uow:
            yield _repository(uow)

    @asynccontextmanager
    async def writing() -> AsyncIterator[SqlOrdersRepository]:
        async with uows() as uow:
            yield _repository(uow)
            await uow.commit()

    table: dict[type, Route[OrdersRepository]] = {
        **command_table(reading, items, stock, to_stock, to_stock, to_stock),
        **purchasing_table(reading, items, stock),
        **work_order_table(
            reading,
            writing,
            items,
            boms,
            WorkOrderStock(stock_stub),
            WorkOrderReleases(to_stock.outgoing),
        ),
    }

    dispatch = Dispatcher(uows, _repository, table)
    stack.push_async_callback(dispatch.aclose)
    servicer = OrdersServicer(reading, dispatch, items, stock)

    def register(server: Registry) -> None:
        orders_pb2_grpc.add_OrdersServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]

    places = StockAndCatalogPlaces(stock_stub, catalog)
    return Wiring(
        [register], [*consumers.subscriptions(reading, to_stock, to_stock), *purchasing_subscriptions(places)]
    )


SPEC = ServiceSpec(
    name="orders",
    metadata=metadata,
    migrations=MIGRATIONS,
    translate=to_message,
    wire=wire,
    grpc_services=[SERVICE_NAME],
)
