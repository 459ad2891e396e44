"""The one place that picks the stock service's concrete adapters."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from pathlib import Path

from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core.commands import Dispatcher
from invariant_core.db import UnitOfWork, UnitOfWorkFactory, utcnow
from invariant_core.items import read_through_catalog
from invariant_core.rpc import Registry
from invariant_core.runtime import ServiceSpec, Wiring, run_in_background
from invariant_core.settings import Settings
from stock.adapters.events import to_message
from stock.adapters.items import StockItemReplica
from stock.adapters.repository import SqlStockRepository
from stock.adapters.tables import metadata
from stock.api import consumers
from stock.api.servicer import StockServicer
from stock.service.handlers import command_table, expire_reservations

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
SERVICE_NAME = stock_pb2.DESCRIPTOR.services_by_name["StockService"].full_name
EXPIRY_SWEEP_SECONDS = 5.0

log = logging.getLogger(__name__)


def _repository(uow: UnitOfWork) -> SqlStockRepository:
    return SqlStockRepository(uow.session)


async def sweep_expired_reservations(uows: UnitOfWorkFactory) -> None:
    while True:
        try:
            async with uows() as uow:
                if await expire_reservations(uow, SqlStockRepository(uow.session), now=utcnow()):
                    await uow.commit()
        except Exception:
            log.exception("reservation expiry sweep failed")
        await asyncio.sleep(EXPIRY_SWEEP_SECONDS)


async def wire(uows: UnitOfWorkFactory, settings: Settings, stack: AsyncExitStack) -> Wiring:
    items = read_through_catalog(uows, settings, stack, StockItemReplica())
    dispatch = Dispatcher(uows, _repository, command_table(items.read_through))
    stack.push_async_callback(dispatch.aclose)
    servicer = StockServicer(uows, items, dispatch)
    run_in_background(stack, sweep_expired_reservations(uows), "stock-expiry")

    def register(server: Registry) -> None:
        stock_pb2_grpc.add_StockServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]

    return Wiring([register], consumers.subscriptions(items))


SPEC = ServiceSpec(
    name="stock",
    metadata=metadata,
    migrations=MIGRATIONS,
    translate=to_message,
    wire=wire,
    grpc_services=[SERVICE_NAME],
)
