"""The one place that picks the counting service's concrete adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from counting.adapters.events import to_message
from counting.adapters.items import CountingItemReplica
from counting.adapters.planning import SqlCountingRepository
from counting.adapters.stock import StockClient
from counting.adapters.tables import metadata
from counting.api import consumers
from counting.api.servicer import CountingServicer
from counting.service.commands import command_table
from invariant.counting.v1 import counting_pb2, counting_pb2_grpc
from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core import rpc
from invariant_core.commands import Dispatcher
from invariant_core.db import UnitOfWork, UnitOfWorkFactory
from invariant_core.items import read_through_catalog
from invariant_core.rpc import Registry
from invariant_core.runtime import ServiceSpec, Wiring
from invariant_core.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
SERVICE_NAME = counting_pb2.DESCRIPTOR.services_by_name["CountingService"].full_name
STOCK = stock_pb2.DESCRIPTOR.services_by_name["StockService"].full_name


def _repository(uow: UnitOfWork) -> SqlCountingRepository:
    return SqlCountingRepository(uow.session)


async def wire(uows: UnitOfWorkFactory, settings: Settings, stack: AsyncExitStack) -> Wiring:
    stock_channel = rpc.channel(settings.peers["stock"], [STOCK])
    stack.push_async_callback(stock_channel.close)
    stock = StockClient(stock_pb2_grpc.StockServiceStub(stock_channel))  # type: ignore[no-untyped-call]
    items = read_through_catalog(uows, settings, stack, CountingItemReplica())

    @asynccontextmanager
    async def reading() -> AsyncIterator[SqlCountingRepository]:
        async with uows.reader() as uow:
            yield _repository(uow)

    dispatch = Dispatcher(uows, _repository, command_table(reading, stock, items))
    stack.push_async_callback(dispatch.aclose)
    servicer = CountingServicer(reading, dispatch, stock)

    def register(server: Registry) -> None:
        counting_pb2_grpc.add_CountingServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]

    return Wiring([register], consumers.subscriptions(items))


SPEC = ServiceSpec(
    name="counting",
    metadata=metadata,
    migrations=MIGRATIONS,
    translate=to_message,
    wire=wire,
    grpc_services=[SERVICE_NAME],
)
