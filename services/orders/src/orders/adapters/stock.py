"""The stock service as orders asks it: over gRPC before a transaction, or as a command sent
after one commits (invariant_core.outgoing)."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

import grpc

from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core.db import Recorder, UnitOfWork
from invariant_core.messages import decimal_message
from invariant_core.outgoing import Command, Outcome, OutgoingCommands
from invariant_core.rpc import from_rpc_error
from orders.adapters.repository import SqlOrdersRepository
from orders.domain.sales import DOCUMENT_TYPE, Grant, OrderLine, PromisePolicy, SalesOrder
from orders.service import handlers

_POLICIES = {
    PromisePolicy.ALL_OR_NOTHING: stock_pb2.RESERVATION_POLICY_ALL_OR_NOTHING,
    PromisePolicy.PARTIAL: stock_pb2.RESERVATION_POLICY_PARTIAL,
}
# What a release's purpose starts with; the order line follows it.
_RELEASE = "release:"


class StockClient:
    def __init__(self, stub: stock_pb2_grpc.StockServiceStub) -> None:
        self._stock = stub

    async def warehouses(self, codes: Collection[str]) -> set[str]:
        found = await self._stock.GetWarehouses(stock_pb2.GetWarehousesRequest(codes=sorted(codes)))
        return {w.code for w in found.warehouses}

    async def reserve(self, key: str, order: SalesOrder) -> list[Grant]:
        request = stock_pb2.ReserveRequest(
            idempotency_key=key,
            policy=_POLICIES[order.policy],
            owner=stock_pb2.DocumentRef(type=DOCUMENT_TYPE, id=order.number),
        )
        for line in order.lines:
            request.lines.add(
                item_sku=line.item_sku, warehouse=line.warehouse, quantity=decimal_message(line.base_quantity)
            )
        try:
            answer = await self._stock.Reserve(request)
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(error) from None
        return [Grant(r.id, Decimal(r.open.value or "0")) for r in answer.reservations]


async def _settle_release(uow: UnitOfWork, outcome: Outcome[stock_pb2.ReleaseRequest, stock_pb2.Reservation]) -> None:
    """What stock still holds for the line once it answered; nothing when it refused (the
    reservation was consumed, released or expired already)."""
    still = Decimal(outcome.response.open.value or "0") if outcome.response is not None else Decimal(0)
    line = int(outcome.purpose.removeprefix(_RELEASE))
    await handlers.reservation_released(SqlOrdersRepository(uow.session), outcome.cause, line, still)


RELEASE = Command(
    name="release",
    peer="stock",
    method="/invariant.stock.v1.StockService/Release",
    request=stock_pb2.ReleaseRequest,
    response=stock_pb2.Reservation,
    settle=_settle_release,
)


class StockReleases:
    """Reservations given back by a command recorded in the transaction that decided it."""

    def __init__(self, outgoing: OutgoingCommands) -> None:
        self._outgoing = outgoing

    async def release(self, uow: Recorder, order: SalesOrder, line: OrderLine) -> None:
        assert isinstance(uow, UnitOfWork), "commands are recorded in a real unit of work"
        await self._outgoing.send(
            uow,
            RELEASE,
            stock_pb2.ReleaseRequest(reservation_id=line.reservation_id),
            cause=order.id,
            purpose=f"{_RELEASE}{line.line}",
        )
