"""The stock service as orders asks it: over gRPC before a transaction, or as a command sent
after one commits (invariant_core.outgoing)."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

import grpc

from invariant.events.v1 import envelope_pb2
from invariant.events.v1 import stock_pb2 as stock_events
from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core.db import Recorder, UnitOfWork
from invariant_core.messages import date_from_message, decimal_message
from invariant_core.outgoing import Command, Outcome, OutgoingCommands
from invariant_core.rpc import from_rpc_error
from orders.adapters.repository import SqlOrdersRepository
from orders.domain.picking import Shelf
from orders.domain.returns import DOCUMENT_TYPE as RMA_DOCUMENT
from orders.domain.returns import CustomerReturn
from orders.domain.sales import DOCUMENT_TYPE, Grant, Issue, OrderLine, PromisePolicy, SalesOrder
from orders.service import fulfilment, handlers

_POLICIES = {
    PromisePolicy.ALL_OR_NOTHING: stock_pb2.RESERVATION_POLICY_ALL_OR_NOTHING,
    PromisePolicy.PARTIAL: stock_pb2.RESERVATION_POLICY_PARTIAL,
}
# What a release's purpose starts with; the order's id, its line and the reservation follow it.
_RELEASE = "release:"
# What a backorder's ask starts with; the order number and line follow it.
_BACKORDER = "backorder:"
# Stock's location for goods on the road into a warehouse (its Warehouse.in_transit_location):
# stock there is available nowhere yet.
IN_TRANSIT = "IN_TRANSIT"
_PAGE = 100


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

    async def shelves(self, item_sku: str, warehouse: str) -> list[Shelf]:
        found: list[Shelf] = []
        token = ""
        while True:
            page = await self._ask(
                self._stock.ListBalances,
                stock_pb2.ListBalancesRequest(
                    item_sku=item_sku, warehouse=warehouse, page_size=_PAGE, page_token=token
                ),
            )
            found += [
                Shelf(
                    b.place.location,
                    b.place.lot,
                    Decimal(b.quantity.value or "0"),
                    date_from_message(b.lot_expiry, "lot_expiry") if b.HasField("lot_expiry") else None,
                )
                for b in page.balances
                if b.place.status == stock_pb2.STOCK_STATUS_AVAILABLE
                and b.place.location != IN_TRANSIT
                and Decimal(b.quantity.value or "0") > 0
            ]
            token = page.next_page_token
            if not token:
                return found

    async def locations(self, warehouse: str, codes: Collection[str]) -> set[str]:
        return {code for _, code in await self.places([(warehouse, code) for code in codes])}

    async def places(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those of the (warehouse, location) keys that are locations."""
        asked = stock_pb2.GetLocationsRequest(
            keys=[stock_pb2.LocationKey(warehouse=w, code=c) for w, c in sorted(keys)]
        )
        found = await self._ask(self._stock.GetLocations, asked)
        return {(location.warehouse, location.code) for location in found.locations}

    async def issue(self, key: str, order: SalesOrder, issue: Issue) -> str:
        movement = await self._ask(
            self._stock.IssueReservation,
            stock_pb2.IssueReservationRequest(
                idempotency_key=key,
                reservation_id=issue.reservation_id,
                quantity=decimal_message(issue.quantity),
                location=issue.location,
                lot=issue.lot,
                document=stock_pb2.DocumentRef(type=DOCUMENT_TYPE, id=order.number, line=str(issue.line)),
            ),
        )
        return str(movement.id)

    @staticmethod
    async def _ask(call: Any, request: Any) -> Any:
        try:
            return await call(request)
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(error) from None


async def _settle_release(uow: UnitOfWork, outcome: Outcome[stock_pb2.ReleaseRequest, stock_pb2.Reservation]) -> None:
    """What stock still holds of the reservation once it answered; nothing when it refused a
    release of all of it (the reservation was consumed, released or expired already)."""
    if outcome.response is not None:
        still = Decimal(outcome.response.open.value or "0")
    elif not outcome.request.HasField("quantity"):
        still = Decimal(0)
    else:
        return
    order_id, line, reservation = outcome.purpose.removeprefix(_RELEASE).split(":")
    await handlers.reservation_released(SqlOrdersRepository(uow.session), order_id, int(line), reservation, still)


async def _settle_return(uow: UnitOfWork, outcome: Outcome[stock_pb2.PostMovementRequest, stock_pb2.Movement]) -> None:
    """The RMA names stock's movement once stock posted it; a refusal leaves it unposted
    (the command's refusal is kept with it)."""
    if outcome.response is not None:
        await SqlOrdersRepository(uow.session).return_posted(outcome.cause, outcome.response.id)


RELEASE = Command(
    name="release",
    peer="stock",
    method="/invariant.stock.v1.StockService/Release",
    request=stock_pb2.ReleaseRequest,
    response=stock_pb2.Reservation,
    settle=_settle_release,
)


class StockCommands:
    """What orders has stock do once its transactions commit: reservations given back,
    reservations asked for backordered lines (whose answers are booked on the lines), and
    customer returns posted (whose movements the returns then name)."""

    def __init__(self, *others: Command[Any, Any]) -> None:
        """`others`: the commands orders' other parts send (work orders' releases)."""
        self.reserve = Command(
            name="reserve",
            peer="stock",
            method="/invariant.stock.v1.StockService/Reserve",
            request=stock_pb2.ReserveRequest,
            response=stock_pb2.ReserveResponse,
            settle=self._settle_reserve,
        )
        self.post_return = Command(
            name="post-return",
            peer="stock",
            method="/invariant.stock.v1.StockService/PostMovement",
            request=stock_pb2.PostMovementRequest,
            response=stock_pb2.Movement,
            settle=_settle_return,
        )
        self.outgoing = OutgoingCommands("orders", [RELEASE, self.reserve, self.post_return, *others])

    async def post(self, uow: Recorder, rma: CustomerReturn) -> None:
        """A RETURN into QC_HOLD, with the RMA as document: quality inspects it."""
        assert isinstance(uow, UnitOfWork), "commands are recorded in a real unit of work"
        request = stock_pb2.PostMovementRequest(
            type=stock_pb2.MOVEMENT_TYPE_RETURN,
            item_sku=rma.item_sku,
            quantity=decimal_message(rma.quantity),
            to=stock_pb2.StockPlace(
                warehouse=rma.warehouse, location=rma.location, lot=rma.lot, status=stock_pb2.STOCK_STATUS_QC_HOLD
            ),
            document=stock_pb2.DocumentRef(type=RMA_DOCUMENT, id=rma.number, line=str(rma.line)),
            reason_code="CUSTOMER_RETURN",
        )
        await self.outgoing.send(uow, self.post_return, request, cause=rma.id, purpose="return")

    async def release(self, uow: Recorder, order: SalesOrder, line: OrderLine) -> None:
        assert isinstance(uow, UnitOfWork), "commands are recorded in a real unit of work"
        for held in line.reservations:
            await self.outgoing.send(
                uow,
                RELEASE,
                stock_pb2.ReleaseRequest(reservation_id=held.reservation_id),
                cause=order.id,
                purpose=f"{_RELEASE}{order.id}:{line.line}:{held.reservation_id}",
            )

    async def give_back(
        self, uow: Recorder, order: SalesOrder, line: int, reservation_id: str, quantity: Decimal, cause: str
    ) -> None:
        assert isinstance(uow, UnitOfWork), "commands are recorded in a real unit of work"
        await self.outgoing.send(
            uow,
            RELEASE,
            stock_pb2.ReleaseRequest(reservation_id=reservation_id, quantity=decimal_message(quantity)),
            cause=cause,
            purpose=f"{_RELEASE}{order.id}:{line}:{reservation_id}",
        )

    async def ask(self, uow: Recorder, order: SalesOrder, line: OrderLine, quantity: Decimal, cause: str) -> None:
        assert isinstance(uow, UnitOfWork), "commands are recorded in a real unit of work"
        request = stock_pb2.ReserveRequest(
            policy=stock_pb2.RESERVATION_POLICY_PARTIAL,
            owner=stock_pb2.DocumentRef(type=DOCUMENT_TYPE, id=order.number, line=str(line.line)),
        )
        request.lines.add(item_sku=line.item_sku, warehouse=line.warehouse, quantity=decimal_message(quantity))
        await self.outgoing.send(
            uow, self.reserve, request, cause=cause, purpose=f"{_BACKORDER}{order.number}:{line.line}"
        )

    async def _settle_reserve(
        self, uow: UnitOfWork, outcome: Outcome[stock_pb2.ReserveRequest, stock_pb2.ReserveResponse]
    ) -> None:
        """Book what stock granted on the line; a refusal grants nothing and the line waits on."""
        number, _, line = outcome.purpose.removeprefix(_BACKORDER).partition(":")
        asked = Decimal(outcome.request.lines[0].quantity.value)
        granted, reservation = Decimal(0), ""
        if outcome.response is not None and outcome.response.reservations:
            answered = outcome.response.reservations[0]
            granted, reservation = Decimal(answered.open.value or "0"), answered.id
        await fulfilment.backorder_answered(
            self,
            self,
            uow,
            SqlOrdersRepository(uow.session),
            number,
            int(line),
            asked,
            reservation,
            granted,
            outcome.command_id,
        )


_AVAILABLE = "AVAILABLE"
_GIVEN_BACK = ("inventory.stock.reservation.released", "inventory.stock.reservation.expired")


def _promisable(place: stock_events.StockPlace) -> bool:
    return place.status == _AVAILABLE and place.location != IN_TRANSIT


def availability_rise(envelope: envelope_pb2.Envelope) -> tuple[str, str, Decimal] | None:
    """The item, warehouse and quantity by which a stock event made more available to
    promise: a movement into AVAILABLE stock of a warehouse from outside it (a receipt, a
    return, a transfer arriving, a count gain, a release from QC_HOLD), or a reservation
    given back; None for any other event."""
    if envelope.type == "inventory.stock.movement.posted":
        movement = stock_events.MovementPosted()
        envelope.payload.Unpack(movement)
        into, out_of = movement.to, getattr(movement, "from")
        if not movement.HasField("to") or not _promisable(into):
            return None
        if movement.HasField("from") and _promisable(out_of) and out_of.warehouse == into.warehouse:
            return None
        return movement.item_sku, into.warehouse, Decimal(movement.quantity.value)
    if envelope.type in _GIVEN_BACK:
        changed = stock_events.ReservationChanged()
        envelope.payload.Unpack(changed)
        return changed.item_sku, changed.warehouse, Decimal(changed.quantity.value)
    return None


def stock_fact_id(envelope: envelope_pb2.Envelope) -> str:
    """A movement or a shortage is acted on once, whatever envelope it comes in; other facts
    by their envelope."""
    if envelope.type == "inventory.stock.movement.posted":
        movement = stock_events.MovementPosted()
        envelope.payload.Unpack(movement)
        return movement.movement_id
    if envelope.type == "inventory.stock.shortage":
        return shortage_of(envelope).id
    return ""


def shortage_of(envelope: envelope_pb2.Envelope) -> stock_events.Shortage:
    shortage = stock_events.Shortage()
    envelope.payload.Unpack(shortage)
    return shortage
