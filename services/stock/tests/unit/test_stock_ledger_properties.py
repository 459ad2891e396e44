"""Balances built from random movement sequences, checked against the ledger invariants."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from invariant_kernel.errors import DomainError
from stock.domain import (
    AvailabilityDelta,
    ItemView,
    LocationKind,
    LocationView,
    MovementType,
    Place,
    StockKey,
    StockStatus,
    WarehouseView,
    availability_deltas,
    plan_movement,
)

RESIN = ItemView("RESIN", "KG", {"DRUM": Decimal(200), "G": Decimal("0.001")}, lot_tracked=True)
WAREHOUSES = {code: WarehouseView(code, True, "IN_TRANSIT") for code in ("WH1", "WH2")}
LOCATIONS = {
    (warehouse, code): LocationView(warehouse, code, kind)
    for warehouse in WAREHOUSES
    for code, kind in (
        ("A", LocationKind.STORAGE),
        ("B", LocationKind.STORAGE),
        ("IN_TRANSIT", LocationKind.IN_TRANSIT),
    )
}
MOVING = (MovementType.TRANSFER, MovementType.STATUS_CHANGE)
INCOMING = (MovementType.RECEIPT, MovementType.RETURN)
OUTGOING = (MovementType.ISSUE, MovementType.SCRAP)


@dataclass(frozen=True)
class Step:
    movement_type: MovementType
    source: Place | None
    target: Place | None
    quantity: str
    unit: str
    reason_code: str


places = st.builds(
    Place,
    warehouse=st.sampled_from(sorted(WAREHOUSES)),
    location=st.sampled_from(["A", "B", "IN_TRANSIT"]),
    lot=st.sampled_from(["L1", "L2", "NEW-1", "NEW-2"]),
    status=st.sampled_from(list(StockStatus)),
)


@st.composite
def steps(draw: st.DrawFn, types: Sequence[MovementType] = tuple(MovementType)) -> Step:
    movement_type = draw(st.sampled_from(list(types)))
    quantity = str(Decimal(draw(st.integers(1, 10**9))).scaleb(-draw(st.integers(0, 6))))
    unit = draw(st.sampled_from(["", "KG", "DRUM", "G"]))
    place = draw(places)
    source: Place | None = place
    target: Place | None = None
    if movement_type is MovementType.TRANSFER:
        warehouse = draw(st.sampled_from(sorted(WAREHOUSES)))
        location = "IN_TRANSIT" if warehouse != place.warehouse else draw(st.sampled_from(["A", "B"]))
        target = Place(warehouse, location, place.lot, place.status)
    elif movement_type is MovementType.STATUS_CHANGE:
        source = Place(place.warehouse, place.location, place.lot, StockStatus.QC_HOLD)
        target = Place(place.warehouse, place.location, place.lot, draw(st.sampled_from(list(StockStatus))))
    elif movement_type in INCOMING or (movement_type is MovementType.ADJUSTMENT and draw(st.booleans())):
        source, target = None, place
    reason_code = draw(st.sampled_from(["", "RETURN_TO_SUPPLIER", "COUNTING_ERROR"]))
    return Step(movement_type, source, target, quantity, unit, reason_code)


def bucket_of(place: Place) -> str:
    if LOCATIONS[(place.warehouse, place.location)].kind is LocationKind.IN_TRANSIT:
        return "in_transit"
    return {StockStatus.AVAILABLE: "available", StockStatus.QC_HOLD: "qc_hold", StockStatus.REJECTED: "rejected"}[
        place.status
    ]


@given(st.lists(steps(), max_size=40))
def test_posting_a_movement_changes_the_total_only_by_what_enters_or_leaves_the_suite(sequence: list[Step]) -> None:
    balances: dict[Place, Decimal] = defaultdict(Decimal)
    availability: dict[StockKey, AvailabilityDelta] = defaultdict(AvailabilityDelta)
    known_lots: set[str] = {"L1", "L2"}
    for step in sequence:
        try:
            plan = plan_movement(
                step.movement_type,
                RESIN,
                step.quantity,
                step.unit,
                step.source,
                step.target,
                locations=LOCATIONS,
                warehouses=WAREHOUSES,
                known_lots=known_lots,
                reason_code=step.reason_code,
            )
        except DomainError:
            continue
        total_before = sum(balances.values(), Decimal(0))
        for place, delta in plan.deltas:
            balances[place] += delta
        for key, change in availability_deltas(plan, LOCATIONS).items():
            availability[key] += change
        known_lots |= plan.new_lots
        total_after = sum(balances.values(), Decimal(0))

        if step.movement_type in MOVING:
            assert total_after == total_before
        elif plan.from_place is None:
            assert total_after == total_before + plan.quantity_base
        else:
            assert total_after == total_before - plan.quantity_base
        assert plan.quantity_base > 0
        assert plan.quantity_base == plan.quantity_base.quantize(Decimal("0.000001"))

    recomputed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for place, quantity in balances.items():
        recomputed[(place.warehouse, bucket_of(place))] += quantity
    for warehouse in WAREHOUSES:
        buckets = availability[StockKey("RESIN", warehouse)]
        assert buckets.available == recomputed[(warehouse, "available")]
        assert buckets.qc_hold == recomputed[(warehouse, "qc_hold")]
        assert buckets.rejected == recomputed[(warehouse, "rejected")]
        assert buckets.in_transit == recomputed[(warehouse, "in_transit")]


@given(st.lists(steps(sorted(MOVING)), max_size=40))
def test_transfers_and_status_changes_never_change_the_total_quantity(sequence: list[Step]) -> None:
    balances: dict[Place, Decimal] = defaultdict(Decimal)
    for step in sequence:
        try:
            plan = plan_movement(
                step.movement_type,
                RESIN,
                step.quantity,
                step.unit,
                step.source,
                step.target,
                locations=LOCATIONS,
                warehouses=WAREHOUSES,
                known_lots={"L1", "L2", "NEW-1", "NEW-2"},
            )
        except DomainError:
            continue
        assert sum(delta for _, delta in plan.deltas) == 0
        for place, delta in plan.deltas:
            balances[place] += delta

    assert sum(balances.values(), Decimal(0)) == 0
