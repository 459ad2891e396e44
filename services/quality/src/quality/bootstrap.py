"""The one place that picks the quality service's concrete adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from invariant.catalog.v1 import catalog_pb2_grpc
from invariant.quality.v1 import quality_pb2, quality_pb2_grpc
from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core import rpc
from invariant_core.commands import Dispatcher
from invariant_core.db import UnitOfWork, UnitOfWorkFactory
from invariant_core.items import CATALOG
from invariant_core.outgoing import OutgoingCommands, send_in_background
from invariant_core.rpc import Registry
from invariant_core.runtime import ServiceSpec, Wiring
from invariant_core.settings import Settings
from quality.adapters.catalog import CatalogItems
from quality.adapters.events import to_message
from quality.adapters.orders import REWORK, ReworkOrders
from quality.adapters.repository import SqlQualityRepository
from quality.adapters.stock import DISPOSE, HOLD, Dispositions, StockHolds, StockPlaces
from quality.adapters.tables import metadata
from quality.api import consumers
from quality.api.servicer import QualityServicer
from quality.service.commands import command_table

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
SERVICE_NAME = quality_pb2.DESCRIPTOR.services_by_name["QualityService"].full_name
STOCK = stock_pb2.DESCRIPTOR.services_by_name["StockService"].full_name


def _repository(uow: UnitOfWork) -> SqlQualityRepository:
    return SqlQualityRepository(uow.session)


async def wire(uows: UnitOfWorkFactory, settings: Settings, stack: AsyncExitStack) -> Wiring:
    stock_channel = rpc.channel(settings.peers["stock"], [STOCK])
    stack.push_async_callback(stock_channel.close)
    stock = StockPlaces(stock_pb2_grpc.StockServiceStub(stock_channel))  # type: ignore[no-untyped-call]
    catalog_channel = rpc.channel(settings.peers["catalog"], [CATALOG])
    stack.push_async_callback(catalog_channel.close)
    items = CatalogItems(catalog_pb2_grpc.CatalogServiceStub(catalog_channel))  # type: ignore[no-untyped-call]
    outgoing = OutgoingCommands("quality", [HOLD, DISPOSE, REWORK])
    holds, dispositions = StockHolds(outgoing), Dispositions(outgoing, ReworkOrders(outgoing))
    send_in_background(uows, outgoing, settings, stack)

    @asynccontextmanager
    async def reading() -> AsyncIterator[SqlQualityRepository]:
        async with uows.reader() as uow:
            yield _repository(uow)

    dispatch = Dispatcher(uows, _repository, command_table(reading, items, stock, holds, dispositions))
    stack.push_async_callback(dispatch.aclose)
    servicer = QualityServicer(reading, dispatch)

    def register(server: Registry) -> None:
        quality_pb2_grpc.add_QualityServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]

    return Wiring([register], consumers.subscriptions(dispositions))


SPEC = ServiceSpec(
    name="quality",
    metadata=metadata,
    migrations=MIGRATIONS,
    translate=to_message,
    wire=wire,
    grpc_services=[SERVICE_NAME],
)
