"""The stock service as quality asks it: over gRPC before a transaction, or as a command sent
after one commits (invariant_core.outgoing)."""

from __future__ import annotations

from collections.abc import Collection

import grpc

from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core.db import Recorder, UnitOfWork
from invariant_core.messages import decimal_message
from invariant_core.outgoing import Command, Outcome, OutgoingCommands
from invariant_core.rpc import from_rpc_error
from quality.adapters.repository import SqlQualityRepository
from quality.domain.lots import InspectionLot
from quality.service import handlers

# The document stock's hold by hand names: the inspection lot, as stock's decisions do.
INSPECTION_DOCUMENT = "INSPECTION"


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

    def __init__(self) -> None:
        self.outgoing = OutgoingCommands("quality", [HOLD])

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
