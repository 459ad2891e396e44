"""The stock service as quality asks it: over gRPC before a transaction, or as a command sent
after one commits (invariant_core.outgoing). A rework goes to orders (quality.adapters.orders)."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

import grpc

from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core import identity
from invariant_core.db import Recorder, UnitOfWork
from invariant_core.messages import decimal_message
from invariant_core.outgoing import Command, Outcome, OutgoingCommands
from invariant_core.rpc import from_rpc_error
from quality.adapters.orders import ReworkOrders
from quality.adapters.repository import SqlQualityRepository
from quality.domain.genealogy import StockLot
from quality.domain.lots import InspectionLot, Place
from quality.domain.nonconformance import (
    ReturnToSupplier,
    ReworkOrder,
    ScrapRejected,
    StockRequest,
    UseAsIs,
)
from quality.service import handlers, nonconformance

# The document stock's hold by hand names: the inspection lot, as stock's decisions do.
INSPECTION_DOCUMENT = "INSPECTION"
# The document a disposition's movement names: the non-conformance record, the disposition as line.
NCR_DOCUMENT = "NCR"
RETURN_TO_SUPPLIER = "RETURN_TO_SUPPLIER"
SCRAP_REASON = "NON_CONFORMING"
# Use as is is approved by a manager (the domain checked it): stock checks the role again.
MANAGER = "manager"


class StockPlaces:
    def __init__(self, stub: stock_pb2_grpc.StockServiceStub) -> None:
        self._stock = stub

    async def places(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        asked = stock_pb2.GetLocationsRequest(
            keys=[stock_pb2.LocationKey(warehouse=w, code=c) for w, c in sorted(keys)]
        )
        try:
            found = await self._stock.GetLocations(asked)
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(error) from None
        return {(location.warehouse, location.code) for location in found.locations}

    async def available(self, lots: Collection[StockLot]) -> list[tuple[str, Place, Decimal]]:
        wanted: dict[str, set[str]] = {}
        for lot in lots:
            wanted.setdefault(lot.item_sku, set()).add(lot.lot)
        found = []
        for sku in sorted(wanted):
            token = ""
            while True:
                try:
                    page = await self._stock.ListBalances(
                        stock_pb2.ListBalancesRequest(item_sku=sku, page_size=100, page_token=token)
                    )
                except grpc.aio.AioRpcError as error:
                    raise from_rpc_error(error) from None
                for balance in page.balances:
                    place, quantity = balance.place, Decimal(balance.quantity.value or "0")
                    if place.status == stock_pb2.STOCK_STATUS_AVAILABLE and place.lot in wanted[sku] and quantity > 0:
                        found.append((sku, Place(place.warehouse, place.location, place.lot), quantity))
                token = page.next_page_token
                if not token:
                    break
        return found


async def _settle_hold(uow: UnitOfWork, outcome: Outcome[stock_pb2.PostMovementRequest, stock_pb2.Movement]) -> None:
    """The lot is open once stock holds its goods; stock's refusal leaves it NOT_HELD."""
    movement = outcome.response.id if outcome.response is not None else ""
    refusal = outcome.refusal.message if outcome.refusal is not None else ""
    await handlers.hold_answered(SqlQualityRepository(uow.session), outcome.cause, movement, refusal)


HOLD = Command(
    name="hold",
    peer="stock",
    method="/invariant.stock.v1.StockService/PostMovement",
    request=stock_pb2.PostMovementRequest,
    response=stock_pb2.Movement,
    settle=_settle_hold,
)


class StockHolds:
    """Holds by hand, sent to stock once the lot that asks for them is committed."""

    def __init__(self, outgoing: OutgoingCommands) -> None:
        self.outgoing = outgoing

    async def hold(self, uow: Recorder, lot: InspectionLot) -> None:
        """AVAILABLE → QC_HOLD where the goods are, with the lot as document."""
        assert isinstance(uow, UnitOfWork), "commands are recorded in a real unit of work"
        place = lot.place
        request = stock_pb2.PostMovementRequest(
            type=stock_pb2.MOVEMENT_TYPE_STATUS_CHANGE,
            item_sku=lot.item_sku,
            quantity=decimal_message(lot.quantity),
            to=stock_pb2.StockPlace(
                warehouse=place.warehouse, location=place.location, lot=place.lot, status=stock_pb2.STOCK_STATUS_QC_HOLD
            ),
            document=stock_pb2.DocumentRef(type=INSPECTION_DOCUMENT, id=lot.id),
        )
        getattr(request, "from").CopyFrom(
            stock_pb2.StockPlace(
                warehouse=place.warehouse,
                location=place.location,
                lot=place.lot,
                status=stock_pb2.STOCK_STATUS_AVAILABLE,
            )
        )
        await self.outgoing.send(uow, HOLD, request, cause=lot.id, purpose="hold")


async def _settle_disposition(
    uow: UnitOfWork, outcome: Outcome[stock_pb2.PostMovementRequest, stock_pb2.Movement]
) -> None:
    """Stock's movement carries the disposition out; its refusal is kept on the disposition."""
    document = outcome.request.document
    response = outcome.response
    await nonconformance.disposition_answered(
        uow,
        SqlQualityRepository(uow.session),
        document.id,
        document.line,
        response.id if response is not None else "",
        response.actor if response is not None else "",
        outcome.refusal.message if outcome.refusal is not None else "",
    )


DISPOSE = Command(
    name="dispose",
    peer="stock",
    method="/invariant.stock.v1.StockService/PostMovement",
    request=stock_pb2.PostMovementRequest,
    response=stock_pb2.Movement,
    settle=_settle_disposition,
)


def _rejected_at(place: Place) -> stock_pb2.StockPlace:
    return stock_pb2.StockPlace(
        warehouse=place.warehouse, location=place.location, lot=place.lot, status=stock_pb2.STOCK_STATUS_REJECTED
    )


class Dispositions:
    """What dispositions ask of stock, sent once the transaction that made them due commits,
    keyed by the disposition: a retry, or the same command sent twice, moves the goods once.
    A rework is asked of orders, as a work order that issues the goods."""

    def __init__(self, outgoing: OutgoingCommands, reworks: ReworkOrders) -> None:
        self._outgoing = outgoing
        self._reworks = reworks

    async def send(self, uow: Recorder, request: StockRequest) -> None:
        assert isinstance(uow, UnitOfWork), "commands are recorded in a real unit of work"
        if isinstance(request, ReworkOrder):
            await self._reworks.send(uow, request)
            return
        movement = stock_pb2.PostMovementRequest(
            item_sku=request.item_sku,
            quantity=decimal_message(request.quantity),
            document=stock_pb2.DocumentRef(type=NCR_DOCUMENT, id=request.ncr_id, line=request.disposition_id),
        )
        getattr(movement, "from").CopyFrom(_rejected_at(request.place))
        sender = identity.current.get()
        match request:
            case ReturnToSupplier():
                movement.type = stock_pb2.MOVEMENT_TYPE_ISSUE
                movement.reason_code = RETURN_TO_SUPPLIER
            case ScrapRejected():
                movement.type = stock_pb2.MOVEMENT_TYPE_SCRAP
                movement.reason_code = SCRAP_REASON
            case UseAsIs():
                movement.type = stock_pb2.MOVEMENT_TYPE_STATUS_CHANGE
                place = request.place
                movement.to.CopyFrom(
                    stock_pb2.StockPlace(
                        warehouse=place.warehouse,
                        location=place.location,
                        lot=place.lot,
                        status=stock_pb2.STOCK_STATUS_AVAILABLE,
                    )
                )
                # Sent as the manager who approved it, whoever made it due (stock's event, say).
                sender = identity.Identity(
                    actor=request.approved_by, roles=frozenset({MANAGER}), correlation_id=sender.correlation_id
                )
        with identity.acting(sender):
            await self._outgoing.send(uow, DISPOSE, movement, cause=request.disposition_id, purpose="dispose")
