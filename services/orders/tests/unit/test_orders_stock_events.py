"""Which of stock's events make more available to promise, and by how much: what the
backorder consumer acts on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from google.type.decimal_pb2 import Decimal as PbDecimal

from invariant.events.v1 import envelope_pb2
from invariant.events.v1 import stock_pb2 as events
from orders.adapters.stock import availability_rise, stock_fact_id


def place(warehouse: str, location: str, status: str = "AVAILABLE") -> events.StockPlace:
    return events.StockPlace(warehouse=warehouse, location=location, status=status)


def posted(kind: str, source: events.StockPlace | None, target: events.StockPlace | None) -> envelope_pb2.Envelope:
    movement = events.MovementPosted(movement_id="m-1", type=kind, item_sku="BOLT", quantity=PbDecimal(value="5"))
    if source is not None:
        getattr(movement, "from").CopyFrom(source)
    if target is not None:
        movement.to.CopyFrom(target)
    envelope = envelope_pb2.Envelope(id="e-1", type="inventory.stock.movement.posted")
    envelope.payload.Pack(movement)
    return envelope


@pytest.mark.parametrize(
    ("kind", "source", "target", "rise"),
    [
        ("RECEIPT", None, place("MAIN", "A-01"), ("BOLT", "MAIN", Decimal(5))),
        ("ADJUSTMENT", None, place("MAIN", "A-01"), ("BOLT", "MAIN", Decimal(5))),
        ("STATUS_CHANGE", place("MAIN", "Q-01", "QC_HOLD"), place("MAIN", "Q-01"), ("BOLT", "MAIN", Decimal(5))),
        ("TRANSFER", place("EAST", "A-01"), place("MAIN", "IN_TRANSIT"), None),
        ("TRANSFER", place("MAIN", "IN_TRANSIT"), place("MAIN", "B-01"), ("BOLT", "MAIN", Decimal(5))),
        ("TRANSFER", place("MAIN", "A-01"), place("MAIN", "B-01"), None),
        ("RETURN", None, place("MAIN", "A-01", "QC_HOLD"), None),
        ("ISSUE", place("MAIN", "A-01"), None, None),
    ],
)
def test_stock_is_more_available_only_when_it_enters_available_stock_of_a_warehouse_from_outside(
    kind: str, source: events.StockPlace | None, target: events.StockPlace | None, rise: object
) -> None:
    assert availability_rise(posted(kind, source, target)) == rise


def test_a_reservation_given_back_makes_it_available_again_and_a_movement_is_known_by_its_id() -> None:
    released = envelope_pb2.Envelope(id="e-2", type="inventory.stock.reservation.released")
    released.payload.Pack(
        events.ReservationChanged(
            reservation_id="r-1", item_sku="BOLT", warehouse="MAIN", quantity=PbDecimal(value="2")
        )
    )
    assert availability_rise(released) == ("BOLT", "MAIN", Decimal(2))
    assert stock_fact_id(released) == ""
    assert stock_fact_id(posted("RECEIPT", None, place("MAIN", "A-01"))) == "m-1"
