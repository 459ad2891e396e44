"""The stock service as counting asks it, over gRPC: its warehouses, its book and its ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from counting.domain.counts import BookBalance
from counting.domain.lines import Key
from counting.domain.rounds import Book
from counting.domain.trace import TracedMovement
from counting.service.ports import BookQuery, Warehouse
from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core.messages import datetime_from_message, timestamp_message

# Movements per page of the ledger.
MOVEMENTS_PAGE = 100
# Stock's statuses by number, as counting names them.
_STATUSES = {number: name.removeprefix("STOCK_STATUS_") for name, number in stock_pb2.StockStatus.items()}


class StockClient:
    def __init__(self, stub: stock_pb2_grpc.StockServiceStub) -> None:
        self._stock = stub

    async def warehouse(self, code: str) -> Warehouse | None:
        known = await self._stock.ListWarehouses(stock_pb2.ListWarehousesRequest())
        return next((Warehouse(w.code, w.in_transit_location) for w in known.warehouses if w.code == code), None)

    async def balances(self, warehouse: str, locations: Sequence[str], item_skus: Sequence[str]) -> list[BookBalance]:
        """Every balance in scope, a status at a time."""
        stream = self._stock.StreamBalances(
            stock_pb2.StreamBalancesRequest(warehouse=warehouse, locations=locations, item_skus=item_skus)
        )
        return [
            BookBalance(b.item_sku, b.place.location, b.place.lot, Decimal(b.quantity.value))
            async for page in stream
            for b in page.balances
        ]

    async def books(self, warehouse: str, queries: Sequence[BookQuery]) -> list[Book]:
        """Each place's book, every status there summed, as of its time."""
        request = stock_pb2.GetBooksRequest()
        for q in queries:
            # Filled in place: a message built apart is copied again into its parent.
            query = request.queries.add(item_sku=q.item_sku)
            place = query.place
            place.warehouse, place.location, place.lot = warehouse, q.location, q.lot
            query.as_of.CopyFrom(timestamp_message(q.as_of))
            query.since.CopyFrom(timestamp_message(q.since))
        answer = await self._stock.GetBooks(request)
        return [
            Book(
                Decimal(b.quantity.value),
                b.movements,
                {_STATUSES[part.status]: Decimal(part.quantity.value) for part in b.statuses},
            )
            for b in answer.books
        ]

    async def movements(
        self, warehouse: str, key: Key, since: datetime | None, until: datetime
    ) -> list[TracedMovement]:
        """The place's movements in (since, until], each with its signed effect on the place."""
        sku, location, lot = key
        found: list[TracedMovement] = []
        token = ""
        while True:
            page = await self._stock.ListMovements(
                stock_pb2.ListMovementsRequest(
                    item_sku=sku,
                    warehouse=warehouse,
                    location=location,
                    lot=lot,
                    from_time=None if since is None else timestamp_message(since),
                    to_time=timestamp_message(until),
                    page_size=MOVEMENTS_PAGE,
                    page_token=token,
                )
            )
            found.extend(m for m in (_traced(m, location, lot) for m in page.movements) if m is not None)
            token = page.next_page_token
            if not token:
                return found

    async def in_transit(self, item_sku: str, warehouse: str) -> Decimal:
        availability = await self._stock.GetAvailability(
            stock_pb2.GetAvailabilityRequest(item_sku=item_sku, warehouse=warehouse)
        )
        return Decimal(availability.in_transit.value or "0")

    async def on_hold(self, warehouse: str, key: Key, as_of: datetime) -> Decimal:
        sku, location, lot = key
        held = await self._stock.GetBalanceAsOf(
            stock_pb2.GetBalanceAsOfRequest(
                item_sku=sku,
                place=stock_pb2.StockPlace(
                    warehouse=warehouse, location=location, lot=lot, status=stock_pb2.STOCK_STATUS_QC_HOLD
                ),
                as_of=timestamp_message(as_of),
            )
        )
        return Decimal(held.quantity.value or "0")


def _traced(m: stock_pb2.Movement, location: str, lot: str) -> TracedMovement | None:
    """A movement as it changed the place (location, lot); None for a status change within it."""
    into = m.to
    out = getattr(m, "from")
    quantity = Decimal(m.quantity.value)
    effect = (quantity if (into.location, into.lot) == (location, lot) else Decimal(0)) - (
        quantity if (out.location, out.lot) == (location, lot) else Decimal(0)
    )
    if not effect:
        return None
    return TracedMovement(
        movement_id=m.id,
        type=stock_pb2.MovementType.Name(m.type).removeprefix("MOVEMENT_TYPE_"),
        quantity=effect,
        document_type=m.document.type,
        document_id=m.document.id,
        actor=m.actor,
        business_time=datetime_from_message(m.business_time),
        posted_at=datetime_from_message(m.posted_at),
        corrects_movement_id=m.corrects_movement_id,
        document_line=m.document.line,
    )
