"""The stock service as work orders ask it: reservations and movements over gRPC before a
transaction, releases as commands sent after one commits (invariant_core.outgoing)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import grpc

from invariant.stock.v1 import stock_pb2
from invariant_core.db import Recorder, UnitOfWork, utcnow
from invariant_core.messages import decimal_message, timestamp_message
from invariant_core.outgoing import Command, Outcome, OutgoingCommands
from invariant_core.rpc import from_rpc_error
from invariant_kernel.errors import DomainError
from orders.adapters.repository import SqlOrdersRepository
from orders.adapters.stock import StockClient
from orders.domain.work_orders import DOCUMENT_TYPE, Component, PostingKind, WorkOrder
from orders.service import work_orders as handlers
from orders.service.ports import ExplodedComponent, StockPosting

# Rejected goods leave REJECTED for a rework order with this reason.
REWORK = "REWORK"
# What a component release's purpose starts with; the component's SKU follows it.
_RELEASE = "wo-release:"
_FIELDS = {"quantity", "location", "lot", "unit"}


def _refusal(error: grpc.aio.AioRpcError, field: str) -> DomainError:
    """Stock's refusal, its field named as the work order's request names it."""
    refused = from_rpc_error(error)
    part = refused.field.rsplit(".", 1)[-1]
    named = f"{field}.{part}" if field and part in _FIELDS else field or refused.field
    return DomainError(refused.code, refused.message, named)


class WorkOrderStock(StockClient):
    """Stock as a work order asks it: its warehouses and locations as sales orders do."""

    async def on_shelf(self, places: Sequence[tuple[str, str, str, str]], fields: Sequence[str]) -> list[Decimal]:
        now = timestamp_message(utcnow())
        queries = [
            stock_pb2.BookQuery(
                item_sku=sku,
                place=stock_pb2.StockPlace(
                    warehouse=warehouse, location=location, lot=lot, status=stock_pb2.STOCK_STATUS_AVAILABLE
                ),
                as_of=now,
            )
            for sku, warehouse, location, lot in places
        ]
        try:
            found = await self._stock.GetBooks(stock_pb2.GetBooksRequest(queries=queries))
        except grpc.aio.AioRpcError as error:
            # Stock names the query (queries[2].place.location); the line is named as the request names it.
            index = from_rpc_error(error).field.removeprefix("queries[").split("]", 1)[0]
            raise _refusal(error, fields[int(index)] if index.isdigit() else "") from None
        return [Decimal(book.quantity.value or "0") for book in found.books]

    async def reserve_components(
        self, key: str, order: WorkOrder, components: Sequence[ExplodedComponent]
    ) -> dict[str, tuple[str, Decimal]]:
        request = stock_pb2.ReserveRequest(
            idempotency_key=key,
            policy=stock_pb2.RESERVATION_POLICY_PARTIAL,
            owner=stock_pb2.DocumentRef(type=DOCUMENT_TYPE, id=order.number),
        )
        for c in components:
            request.lines.add(item_sku=c.item_sku, warehouse=order.warehouse, quantity=decimal_message(c.quantity))
        try:
            answer = await self._stock.Reserve(request)
        except grpc.aio.AioRpcError as error:
            raise _refusal(error, "number") from None
        return {
            c.item_sku: (r.id, Decimal(r.open.value or "0"))
            for c, r in zip(components, answer.reservations, strict=True)
        }

    async def post(self, key: str, posting: StockPosting, field: str) -> str:
        document = stock_pb2.DocumentRef(type=DOCUMENT_TYPE, id=posting.number, line=posting.item_sku)
        quantity = decimal_message(posting.quantity)
        try:
            if posting.reservation_id:
                moved = await self._stock.IssueReservation(
                    stock_pb2.IssueReservationRequest(
                        idempotency_key=key,
                        reservation_id=posting.reservation_id,
                        quantity=quantity,
                        location=posting.location,
                        lot=posting.lot,
                        document=document,
                    )
                )
                return str(moved.id)
            # A rework order takes its goods from where quality rejected them.
            if posting.rework:
                status = stock_pb2.STOCK_STATUS_REJECTED
            elif posting.on_hold:
                status = stock_pb2.STOCK_STATUS_QC_HOLD
            else:
                status = stock_pb2.STOCK_STATUS_AVAILABLE
            place = stock_pb2.StockPlace(
                warehouse=posting.warehouse, location=posting.location, lot=posting.lot, status=status
            )
            request = stock_pb2.PostMovementRequest(
                idempotency_key=key, item_sku=posting.item_sku, quantity=quantity, document=document
            )
            if posting.kind is PostingKind.ISSUE:
                request.type = stock_pb2.MOVEMENT_TYPE_ISSUE
                request.reason_code = REWORK if posting.rework else ""
                getattr(request, "from").CopyFrom(place)
            else:
                # Components coming back unused and finished goods both come in as receipts.
                request.type = stock_pb2.MOVEMENT_TYPE_RECEIPT
                request.to.CopyFrom(place)
            return str((await self._stock.PostMovement(request)).id)
        except grpc.aio.AioRpcError as error:
            raise _refusal(error, field) from None


async def _settle_release(uow: UnitOfWork, outcome: Outcome[stock_pb2.ReleaseRequest, stock_pb2.Reservation]) -> None:
    """What stock still holds for the component once it answered; nothing when it refused
    (the reservation was consumed or released already)."""
    still = Decimal(outcome.response.open.value or "0") if outcome.response is not None else Decimal(0)
    sku = outcome.purpose.removeprefix(_RELEASE)
    await handlers.work_reservation_released(SqlOrdersRepository(uow.session), outcome.cause, sku, still)


WORK_RELEASE = Command(
    name="work-release",
    peer="stock",
    method="/invariant.stock.v1.StockService/Release",
    request=stock_pb2.ReleaseRequest,
    response=stock_pb2.Reservation,
    settle=_settle_release,
)


class WorkOrderReleases:
    """Component reservations given back by a command recorded in the transaction that closed the order."""

    def __init__(self, outgoing: OutgoingCommands) -> None:
        self._outgoing = outgoing

    async def release(self, uow: Recorder, order: WorkOrder, component: Component) -> None:
        assert isinstance(uow, UnitOfWork), "commands are recorded in a real unit of work"
        await self._outgoing.send(
            uow,
            WORK_RELEASE,
            stock_pb2.ReleaseRequest(reservation_id=component.reservation_id),
            cause=order.id,
            purpose=f"{_RELEASE}{component.item_sku}",
        )
