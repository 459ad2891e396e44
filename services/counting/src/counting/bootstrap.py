"""The one place that picks the counting service's concrete adapters."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from counting.adapters.events import to_message
from counting.adapters.items import CountingItemReplica
from counting.adapters.tables import metadata
from counting.api import consumers
from counting.api.servicer import CountingServicer
from invariant.counting.v1 import counting_pb2, counting_pb2_grpc
from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core import rpc
from invariant_core.db import UnitOfWorkFactory
from invariant_core.items import read_through_catalog
from invariant_core.rpc import Registry
from invariant_core.runtime import ServiceSpec, Wiring
from invariant_core.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
SERVICE_NAME = counting_pb2.DESCRIPTOR.services_by_name["CountingService"].full_name
STOCK = stock_pb2.DESCRIPTOR.services_by_name["StockService"].full_name


async def wire(uows: UnitOfWorkFactory, settings: Settings, stack: AsyncExitStack) -> Wiring:
    stock_channel = rpc.channel(settings.peers["stock"], [STOCK])
    stack.push_async_callback(stock_channel.close)
    items = read_through_catalog(uows, settings, stack, CountingItemReplica())
    servicer = CountingServicer(uows, items, stock_pb2_grpc.StockServiceStub(stock_channel))  # type: ignore[no-untyped-call]

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
