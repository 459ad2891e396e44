"""plan_movement: which movements are allowed, what they change, and which field a refusal names."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from decimal import Decimal

import pytest

from invariant_kernel.errors import DomainError, ErrorCode
from stock.domain import (
    AvailabilityDelta,
    DocumentRef,
    ItemView,
    LocationKind,
    LocationView,
    MovementPlan,
    MovementType,
    Place,
    ReasonQuantity,
    StockKey,
    StockStatus,
    WarehouseView,
    availability_deltas,
    balances_after,
    plan_movement,
)

AVAILABLE, QC_HOLD, REJECTED = StockStatus.AVAILABLE, StockStatus.QC_HOLD, StockStatus.REJECTED
RECEIPT, ISSUE, TRANSFER = MovementType.RECEIPT, MovementType.ISSUE, MovementType.TRANSFER
SCRAP, RETURN, ADJUSTMENT = MovementType.SCRAP, MovementType.RETURN, MovementType.ADJUSTMENT
STATUS_CHANGE = MovementType.STATUS_CHANGE

WIDGET = ItemView("WIDGET", "EA", {"BOX": Decimal(12)}, lot_tracked=False)
RESIN = ItemView("RESIN", "KG", {"DRUM": Decimal(200)}, lot_tracked=True)
KNOWN_LOTS = frozenset({"L1", "L2"})

WAREHOUSES = {
    "WH1": WarehouseView("WH1", allow_negative_stock=False, in_transit_location="IN_TRANSIT"),
    "WH2": WarehouseView("WH2", allow_negative_stock=True, in_transit_location="IN_TRANSIT"),
}
KINDS = {
    "A": LocationKind.STORAGE,
    "B": LocationKind.STORAGE,
    "DOCK": LocationKind.RECEIVING,
    "Q": LocationKind.QUARANTINE,
}
DECISION = DocumentRef("INSPECTION", "LOT-1", "D-1")
LOCATIONS = {
    (warehouse, code): LocationView(warehouse, code, kind)
    for warehouse in WAREHOUSES
    for code, kind in [*KINDS.items(), ("IN_TRANSIT", LocationKind.IN_TRANSIT)]
}


def at(location: str = "A", status: StockStatus = AVAILABLE, warehouse: str = "WH1", lot: str = "") -> Place:
    return Place(warehouse, location, lot, status)


def plan(
    movement_type: MovementType,
    source: Place | None = None,
    target: Place | None = None,
    quantity: str = "5",
    unit: str = "",
    item: ItemView = WIDGET,
    reasons: Sequence[tuple[str, str]] = (),
    reason_code: str = "",
    known_lots: Collection[str] = KNOWN_LOTS,
    document: DocumentRef | None = None,
    **fields: str,
) -> MovementPlan:
    return plan_movement(
        movement_type,
        item,
        quantity,
        unit,
        source,
        target,
        locations=LOCATIONS,
        warehouses=WAREHOUSES,
        known_lots=known_lots,
        reasons=reasons,
        reason_code=reason_code,
        document=document,
        **fields,
    )


def refusal(call: Callable[[], object]) -> tuple[ErrorCode, str]:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code, refused.value.field


def message(call: Callable[[], object]) -> str:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.message


# Receipts and returns


def test_a_receipt_adds_the_quantity_in_the_base_unit_to_its_place() -> None:
    receipt = plan(RECEIPT, target=at("DOCK"), quantity="2.5", unit="box")

    assert receipt.quantity_base == Decimal(30)
    assert receipt.unit == "BOX"
    assert receipt.deltas == [(at("DOCK"), Decimal(30))]
    assert receipt.item_sku == "WIDGET"
    assert receipt.new_lots == frozenset()


def test_a_receipt_may_go_into_quality_hold_but_not_straight_to_rejected() -> None:
    assert plan(RECEIPT, target=at(status=QC_HOLD)).deltas == [(at(status=QC_HOLD), Decimal(5))]
    assert refusal(lambda: plan(RECEIPT, target=at(status=REJECTED))) == (ErrorCode.INVALID_STATE, "to.status")


def test_a_receipt_comes_from_nowhere_and_must_say_where_it_goes() -> None:
    assert refusal(lambda: plan(RECEIPT, source=at(), target=at("B"))) == (ErrorCode.INVALID_FORMAT, "from")
    assert refusal(lambda: plan(RECEIPT)) == (ErrorCode.REQUIRED, "to")


def test_a_return_goes_into_quality_hold_to_be_inspected() -> None:
    assert plan(RETURN, target=at(status=QC_HOLD)).deltas == [(at(status=QC_HOLD), Decimal(5))]
    assert refusal(lambda: plan(RETURN, target=at())) == (ErrorCode.INVALID_STATE, "to.status")
    assert refusal(lambda: plan(RETURN, source=at(), target=at(status=QC_HOLD))) == (ErrorCode.INVALID_FORMAT, "from")
    assert refusal(lambda: plan(RETURN)) == (ErrorCode.REQUIRED, "to")


# Issues and scrap


def test_an_issue_takes_the_quantity_off_available_stock() -> None:
    issue = plan(ISSUE, source=at(), quantity="1", unit="BOX")

    assert issue.deltas == [(at(), Decimal(-12))]
    assert issue.to_place is None


def test_an_issue_goes_nowhere_and_must_say_where_it_comes_from() -> None:
    assert refusal(lambda: plan(ISSUE, source=at(), target=at("B"))) == (ErrorCode.INVALID_FORMAT, "to")
    assert refusal(lambda: plan(ISSUE)) == (ErrorCode.REQUIRED, "from")


def test_stock_on_quality_hold_cannot_be_issued() -> None:
    assert refusal(lambda: plan(ISSUE, source=at(status=QC_HOLD))) == (ErrorCode.INVALID_STATE, "from.status")


def test_rejected_stock_is_issued_only_when_it_goes_back_to_the_supplier_or_to_rework() -> None:
    assert refusal(lambda: plan(ISSUE, source=at(status=REJECTED), document=DECISION)) == (
        ErrorCode.INVALID_STATE,
        "from.status",
    )
    assert refusal(
        lambda: plan(ISSUE, source=at(status=REJECTED), reason_code="DAMAGE_NOT_RECORDED", document=DECISION)
    ) == (ErrorCode.INVALID_STATE, "from.status")
    assert refusal(
        lambda: plan(ISSUE, source=at(status=QC_HOLD), reason_code="RETURN_TO_SUPPLIER", document=DECISION)
    ) == (ErrorCode.INVALID_STATE, "from.status")

    returned = plan(ISSUE, source=at(status=REJECTED), reason_code=" return_to_supplier ", document=DECISION)
    reworked = plan(ISSUE, source=at(status=REJECTED), reason_code="REWORK", document=DECISION)

    assert returned.reason_code == "RETURN_TO_SUPPLIER"
    assert returned.deltas == [(at(status=REJECTED), Decimal(-5))]
    assert reworked.reason_code == "REWORK"
    assert reworked.deltas == [(at(status=REJECTED), Decimal(-5))]


@pytest.mark.parametrize("reason", ["RETURN_TO_SUPPLIER", "REWORK"])
@pytest.mark.parametrize(
    ("document", "field"),
    [(None, "document.type"), (DocumentRef("", "NCR-1"), "document.type"), (DocumentRef("NCR", ""), "document.id")],
)
def test_rejected_stock_is_issued_only_by_document(reason: str, document: DocumentRef | None, field: str) -> None:
    assert refusal(lambda: plan(ISSUE, source=at(status=REJECTED), reason_code=reason, document=document)) == (
        ErrorCode.REQUIRED,
        field,
    )


def test_available_stock_is_issued_without_a_document() -> None:
    assert plan(ISSUE, source=at()).deltas == [(at(), Decimal(-5))]


@pytest.mark.parametrize("status", list(StockStatus))
def test_stock_of_any_status_can_be_scrapped(status: StockStatus) -> None:
    assert plan(SCRAP, source=at(status=status)).deltas == [(at(status=status), Decimal(-5))]


def test_scrap_goes_nowhere() -> None:
    assert refusal(lambda: plan(SCRAP, source=at(), target=at("B"))) == (ErrorCode.INVALID_FORMAT, "to")
    assert refusal(lambda: plan(SCRAP)) == (ErrorCode.REQUIRED, "from")


# Transfers


def test_a_transfer_takes_from_one_place_and_adds_to_another() -> None:
    transfer = plan(TRANSFER, source=at("A"), target=at("B"))

    assert transfer.deltas == [(at("A"), Decimal(-5)), (at("B"), Decimal(5))]


def test_a_transfer_needs_both_places() -> None:
    assert refusal(lambda: plan(TRANSFER, target=at("B"))) == (ErrorCode.REQUIRED, "from")
    assert refusal(lambda: plan(TRANSFER, source=at("A"))) == (ErrorCode.REQUIRED, "to")


def test_a_transfer_to_the_same_location_is_refused() -> None:
    assert refusal(lambda: plan(TRANSFER, source=at("A"), target=at("A"))) == (ErrorCode.INVALID_STATE, "to.location")
    assert "transfer to the same location" in message(lambda: plan(TRANSFER, source=at("A"), target=at("A")))


def test_a_transfer_keeps_the_status_of_the_stock() -> None:
    assert plan(TRANSFER, source=at("A", QC_HOLD), target=at("B", QC_HOLD)).quantity_base == Decimal(5)
    assert refusal(lambda: plan(TRANSFER, source=at("A", QC_HOLD), target=at("B"))) == (
        ErrorCode.INVALID_STATE,
        "to.status",
    )
    assert refusal(lambda: plan(TRANSFER, source=at("A", QC_HOLD), target=at("A"))) == (
        ErrorCode.INVALID_STATE,
        "to.status",
    )


def test_a_transfer_keeps_the_lot() -> None:
    assert refusal(lambda: plan(TRANSFER, source=at("A", lot="L1"), target=at("B", lot="L2"), item=RESIN)) == (
        ErrorCode.INVALID_STATE,
        "to.lot",
    )


def test_a_transfer_to_another_warehouse_must_go_to_its_in_transit_location() -> None:
    def straight_to_storage() -> MovementPlan:
        return plan(TRANSFER, source=at("A"), target=at("B", warehouse="WH2"))

    assert refusal(straight_to_storage) == (ErrorCode.INVALID_STATE, "to.location")
    assert "in-transit location IN_TRANSIT" in message(straight_to_storage)


def test_a_transfer_between_warehouses_is_two_movements_through_the_in_transit_location() -> None:
    leaving = plan(TRANSFER, source=at("A"), target=at("IN_TRANSIT", warehouse="WH2"))
    arriving = plan(TRANSFER, source=at("IN_TRANSIT", warehouse="WH2"), target=at("B", warehouse="WH2"))

    assert leaving.deltas == [(at("A"), Decimal(-5)), (at("IN_TRANSIT", warehouse="WH2"), Decimal(5))]
    assert arriving.deltas == [(at("IN_TRANSIT", warehouse="WH2"), Decimal(-5)), (at("B", warehouse="WH2"), Decimal(5))]


def test_a_transfer_within_a_warehouse_cannot_go_into_its_in_transit_location() -> None:
    assert refusal(lambda: plan(TRANSFER, source=at("A"), target=at("IN_TRANSIT"))) == (
        ErrorCode.INVALID_STATE,
        "to.location",
    )


def test_stock_enters_and_leaves_an_in_transit_location_only_by_transfer_or_adjustment() -> None:
    assert refusal(lambda: plan(RECEIPT, target=at("IN_TRANSIT"))) == (ErrorCode.INVALID_STATE, "to.location")
    assert refusal(lambda: plan(ISSUE, source=at("IN_TRANSIT"))) == (ErrorCode.INVALID_STATE, "from.location")
    assert refusal(lambda: plan(SCRAP, source=at("IN_TRANSIT"))) == (ErrorCode.INVALID_STATE, "from.location")
    assert refusal(
        lambda: plan(STATUS_CHANGE, source=at("IN_TRANSIT", QC_HOLD), target=at("IN_TRANSIT", AVAILABLE))
    ) == (ErrorCode.INVALID_STATE, "from.location")

    lost_on_the_way = plan(ADJUSTMENT, source=at("IN_TRANSIT"), reason_code="THEFT_OR_UNKNOWN")

    assert lost_on_the_way.deltas == [(at("IN_TRANSIT"), Decimal(-5))]


# Status changes


@pytest.mark.parametrize("decision", [AVAILABLE, REJECTED])
def test_an_inspection_decision_changes_the_status_where_the_stock_is(decision: StockStatus) -> None:
    change = plan(STATUS_CHANGE, source=at("A", QC_HOLD), target=at("A", decision))

    assert change.deltas == [(at("A", QC_HOLD), Decimal(-5)), (at("A", decision), Decimal(5))]


def test_a_quality_hold_puts_available_stock_on_hold_where_it_is_by_document() -> None:
    hold = plan(STATUS_CHANGE, source=at("A", AVAILABLE), target=at("A", QC_HOLD), document=DECISION)

    assert hold.deltas == [(at("A", AVAILABLE), Decimal(-5)), (at("A", QC_HOLD), Decimal(5))]
    assert availability_deltas(hold, LOCATIONS) == {
        StockKey("WIDGET", "WH1"): AvailabilityDelta(available=Decimal(-5), qc_hold=Decimal(5))
    }


def test_rejected_stock_is_used_as_is_by_document() -> None:
    used = plan(STATUS_CHANGE, source=at("A", REJECTED), target=at("A", AVAILABLE), document=DECISION)

    assert used.deltas == [(at("A", REJECTED), Decimal(-5)), (at("A", AVAILABLE), Decimal(5))]


@pytest.mark.parametrize(("before", "after"), [(AVAILABLE, QC_HOLD), (REJECTED, AVAILABLE)])
@pytest.mark.parametrize(
    ("document", "field"),
    [(None, "document.type"), (DocumentRef("", "NCR-1"), "document.type"), (DocumentRef("NCR", ""), "document.id")],
)
def test_a_quality_hold_and_use_as_is_need_a_document(
    before: StockStatus, after: StockStatus, document: DocumentRef | None, field: str
) -> None:
    assert refusal(lambda: plan(STATUS_CHANGE, source=at("A", before), target=at("A", after), document=document)) == (
        ErrorCode.REQUIRED,
        field,
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (REJECTED, QC_HOLD),
        (AVAILABLE, REJECTED),
        (QC_HOLD, QC_HOLD),
        (AVAILABLE, AVAILABLE),
        (REJECTED, REJECTED),
    ],
)
def test_other_status_changes_are_refused(before: StockStatus, after: StockStatus) -> None:
    assert refusal(lambda: plan(STATUS_CHANGE, source=at("A", before), target=at("A", after), document=DECISION)) == (
        ErrorCode.INVALID_STATE,
        "to.status",
    )


def test_rejected_stock_goes_into_a_quarantine_location_in_the_same_status_change() -> None:
    change = plan(STATUS_CHANGE, source=at("A", QC_HOLD), target=at("Q", REJECTED))

    assert change.deltas == [(at("A", QC_HOLD), Decimal(-5)), (at("Q", REJECTED), Decimal(5))]
    assert availability_deltas(change, LOCATIONS) == {
        StockKey("WIDGET", "WH1"): AvailabilityDelta(qc_hold=Decimal(-5), rejected=Decimal(5))
    }


@pytest.mark.parametrize(
    ("source", "target", "field"),
    [
        (at("A", QC_HOLD), at("B", AVAILABLE), "to.location"),
        (at("A", QC_HOLD), at("B", REJECTED), "to.location"),
        (at("A", QC_HOLD), at("DOCK", REJECTED), "to.location"),
        (at("A", QC_HOLD), at("Q", AVAILABLE), "to.location"),
        (at("A", AVAILABLE), at("Q", QC_HOLD), "to.location"),
        (at("A", QC_HOLD), at("A", AVAILABLE, warehouse="WH2"), "to.warehouse"),
        (at("A", QC_HOLD), at("Q", REJECTED, warehouse="WH2"), "to.warehouse"),
    ],
)
def test_a_status_change_moves_the_stock_only_when_it_is_rejected_into_quarantine(
    source: Place, target: Place, field: str
) -> None:
    assert refusal(lambda: plan(STATUS_CHANGE, source=source, target=target, document=DECISION)) == (
        ErrorCode.INVALID_STATE,
        field,
    )


def test_a_status_change_keeps_the_lot() -> None:
    assert refusal(
        lambda: plan(STATUS_CHANGE, source=at("A", QC_HOLD, lot="L1"), target=at("A", AVAILABLE, lot="L2"), item=RESIN)
    ) == (ErrorCode.INVALID_STATE, "to.lot")


def test_a_status_change_needs_both_places() -> None:
    assert refusal(lambda: plan(STATUS_CHANGE, target=at())) == (ErrorCode.REQUIRED, "from")
    assert refusal(lambda: plan(STATUS_CHANGE, source=at(status=QC_HOLD))) == (ErrorCode.REQUIRED, "to")


# Adjustments


def test_an_adjustment_is_a_gain_into_a_place_or_a_loss_out_of_one() -> None:
    assert plan(ADJUSTMENT, target=at(status=REJECTED)).deltas == [(at(status=REJECTED), Decimal(5))]
    assert plan(ADJUSTMENT, source=at(status=QC_HOLD)).deltas == [(at(status=QC_HOLD), Decimal(-5))]


def test_an_adjustment_is_not_both_a_gain_and_a_loss_and_not_neither() -> None:
    assert refusal(lambda: plan(ADJUSTMENT, source=at("A"), target=at("B"))) == (ErrorCode.INVALID_FORMAT, "to")
    assert refusal(lambda: plan(ADJUSTMENT)) == (ErrorCode.REQUIRED, "to")


def test_adjustment_reasons_in_the_movement_unit_are_kept_in_the_base_unit() -> None:
    adjustment = plan(
        ADJUSTMENT,
        source=at(),
        quantity="2",
        unit="BOX",
        reasons=[(" counting_error ", "1.5"), ("DAMAGE_NOT_RECORDED", "0.5")],
    )

    assert adjustment.reasons == [
        ReasonQuantity("COUNTING_ERROR", Decimal(18)),
        ReasonQuantity("DAMAGE_NOT_RECORDED", Decimal(6)),
    ]


def test_adjustment_reasons_must_add_up_to_the_quantity() -> None:
    def four_of_five() -> MovementPlan:
        return plan(ADJUSTMENT, target=at(), quantity="5", reasons=[("COUNTING_ERROR", "3"), ("ENTRY_ERROR", "1")])

    assert refusal(four_of_five) == (ErrorCode.OUT_OF_RANGE, "reasons")
    assert "add up to 4 EA but the quantity is 5 EA" in message(four_of_five)


def test_an_adjustment_without_reasons_is_allowed() -> None:
    assert plan(ADJUSTMENT, target=at()).reasons == []


@pytest.mark.parametrize(
    ("reasons", "field", "code"),
    [
        ([("COUNTING_ERROR", "4"), ("MISPLACED", "1")], "reasons[1].reason_code", ErrorCode.INVALID_FORMAT),
        ([("  ", "5")], "reasons[0].reason_code", ErrorCode.REQUIRED),
        ([("ENTRY_ERROR", "2"), ("entry_error", "3")], "reasons[1].reason_code", ErrorCode.ALREADY_EXISTS),
        ([("ENTRY_ERROR", "0"), ("COUNTING_ERROR", "5")], "reasons[0].quantity", ErrorCode.OUT_OF_RANGE),
        ([("ENTRY_ERROR", "NaN")], "reasons[0].quantity", ErrorCode.INVALID_FORMAT),
        ([("ENTRY_ERROR", "4.9999999"), ("COUNTING_ERROR", "0.0000001")], "reasons[0].quantity", ErrorCode.TOO_PRECISE),
    ],
)
def test_each_adjustment_reason_is_a_known_code_with_a_positive_quantity(
    reasons: list[tuple[str, str]], field: str, code: ErrorCode
) -> None:
    assert refusal(lambda: plan(ADJUSTMENT, target=at(), reasons=reasons)) == (code, field)


def test_an_adjustment_reason_code_must_be_a_known_reason() -> None:
    assert plan(ADJUSTMENT, target=at(), reason_code="receipt_not_recorded").reason_code == "RECEIPT_NOT_RECORDED"
    assert refusal(lambda: plan(ADJUSTMENT, target=at(), reason_code="OOPS")) == (
        ErrorCode.INVALID_FORMAT,
        "reason_code",
    )


def test_the_list_of_adjustment_reasons_can_be_replaced() -> None:
    adjustment = plan_movement(
        ADJUSTMENT,
        WIDGET,
        "5",
        "",
        None,
        at(),
        locations=LOCATIONS,
        warehouses=WAREHOUSES,
        reasons=[("FOUND_IN_RETURNS", "5")],
        adjustment_reasons=("FOUND_IN_RETURNS",),
    )

    assert adjustment.reasons == [ReasonQuantity("FOUND_IN_RETURNS", Decimal(5))]


def test_only_adjustments_carry_reasons_with_quantities() -> None:
    assert refusal(lambda: plan(RECEIPT, target=at(), reasons=[("COUNTING_ERROR", "5")])) == (
        ErrorCode.INVALID_FORMAT,
        "reasons",
    )


# Lots


def test_a_lot_tracked_item_names_a_known_lot_where_stock_leaves() -> None:
    issue = plan(ISSUE, source=at(lot="L1"), item=RESIN, quantity="1", unit="DRUM")

    assert issue.deltas == [(at(lot="L1"), Decimal(-200))]
    assert refusal(lambda: plan(ISSUE, source=at(), item=RESIN)) == (ErrorCode.REQUIRED, "from.lot")
    assert refusal(lambda: plan(ISSUE, source=at(lot="L9"), item=RESIN)) == (ErrorCode.NOT_FOUND, "from.lot")
    assert refusal(lambda: plan(ISSUE, source=at(lot="l1"), item=RESIN)) == (ErrorCode.NOT_FOUND, "from.lot")


def test_a_lot_tracked_item_names_a_lot_where_stock_arrives() -> None:
    assert refusal(lambda: plan(RECEIPT, target=at(), item=RESIN)) == (ErrorCode.REQUIRED, "to.lot")


@pytest.mark.parametrize(
    ("movement_type", "status"),
    [(RECEIPT, AVAILABLE), (RETURN, QC_HOLD), (ADJUSTMENT, AVAILABLE)],
)
def test_stock_coming_in_from_outside_may_bring_a_new_lot(movement_type: MovementType, status: StockStatus) -> None:
    incoming = plan(movement_type, target=at(status=status, lot="L9"), item=RESIN)

    assert incoming.new_lots == frozenset({"L9"})
    assert plan(movement_type, target=at(status=status, lot="L1"), item=RESIN).new_lots == frozenset()


def test_stock_moving_inside_the_suite_never_creates_a_lot() -> None:
    assert refusal(lambda: plan(TRANSFER, source=at("A", lot="L9"), target=at("B", lot="L9"), item=RESIN)) == (
        ErrorCode.NOT_FOUND,
        "from.lot",
    )
    assert refusal(lambda: plan(ADJUSTMENT, source=at(lot="L9"), item=RESIN)) == (ErrorCode.NOT_FOUND, "from.lot")


def test_an_item_that_is_not_lot_tracked_takes_no_lot() -> None:
    def issue_with_a_lot() -> MovementPlan:
        return plan(ISSUE, source=at(lot="L1"))

    assert refusal(issue_with_a_lot) == (ErrorCode.INVALID_FORMAT, "from.lot")
    assert "item WIDGET is not lot-tracked" in message(issue_with_a_lot)
    assert refusal(lambda: plan(RECEIPT, target=at(lot="L1"))) == (ErrorCode.INVALID_FORMAT, "to.lot")


# Warehouses, locations and request fields


def test_an_unknown_warehouse_or_location_is_not_found_on_its_field() -> None:
    assert refusal(lambda: plan(RECEIPT, target=at(warehouse="WH9"))) == (ErrorCode.NOT_FOUND, "to.warehouse")
    assert refusal(lambda: plan(ISSUE, source=at("Z9"))) == (ErrorCode.NOT_FOUND, "from.location")


def test_a_bad_quantity_is_refused_on_the_quantity_field() -> None:
    assert refusal(lambda: plan(RECEIPT, target=at(), quantity="-1")) == (ErrorCode.OUT_OF_RANGE, "quantity")
    assert refusal(lambda: plan(RECEIPT, target=at(), quantity="1", unit="CRATE")) == (ErrorCode.NOT_FOUND, "unit")


def test_a_request_with_flat_place_fields_gets_flat_field_names() -> None:
    assert refusal(lambda: plan(ISSUE, source=at("Z9"), from_field="")) == (ErrorCode.NOT_FOUND, "location")
    assert refusal(lambda: plan(ISSUE, source=at(lot="L9"), item=RESIN, from_field="")) == (ErrorCode.NOT_FOUND, "lot")


# Availability and balances


def test_a_receipt_into_quality_hold_is_not_available() -> None:
    receipt = plan(RECEIPT, target=at(status=QC_HOLD))

    assert availability_deltas(receipt, LOCATIONS) == {StockKey("WIDGET", "WH1"): AvailabilityDelta(qc_hold=Decimal(5))}


def test_accepting_inspected_stock_moves_it_from_quality_hold_to_available() -> None:
    accepted = plan(STATUS_CHANGE, source=at(status=QC_HOLD), target=at(status=AVAILABLE))

    assert availability_deltas(accepted, LOCATIONS) == {
        ("WIDGET", "WH1"): AvailabilityDelta(available=Decimal(5), qc_hold=Decimal(-5))
    }


def test_a_transfer_between_warehouses_puts_stock_in_transit_and_out_of_available() -> None:
    leaving = plan(TRANSFER, source=at("A"), target=at("IN_TRANSIT", warehouse="WH2"))
    arriving = plan(TRANSFER, source=at("IN_TRANSIT", warehouse="WH2"), target=at("B", warehouse="WH2"))

    assert availability_deltas(leaving, LOCATIONS) == {
        ("WIDGET", "WH1"): AvailabilityDelta(available=Decimal(-5)),
        ("WIDGET", "WH2"): AvailabilityDelta(in_transit=Decimal(5)),
    }
    assert availability_deltas(arriving, LOCATIONS) == {
        ("WIDGET", "WH2"): AvailabilityDelta(available=Decimal(5), in_transit=Decimal(-5)),
    }


def test_stock_in_transit_counts_as_in_transit_whatever_its_status() -> None:
    leaving = plan(TRANSFER, source=at("A", REJECTED), target=at("IN_TRANSIT", REJECTED, warehouse="WH2"))

    assert availability_deltas(leaving, LOCATIONS) == {
        ("WIDGET", "WH1"): AvailabilityDelta(rejected=Decimal(-5)),
        ("WIDGET", "WH2"): AvailabilityDelta(in_transit=Decimal(5)),
    }


def test_a_transfer_within_a_warehouse_leaves_its_availability_as_it_is() -> None:
    assert availability_deltas(plan(TRANSFER, source=at("A"), target=at("B")), LOCATIONS) == {}


def test_a_movement_may_not_take_a_balance_below_zero_where_negative_stock_is_not_allowed() -> None:
    issue = plan(ISSUE, source=at(), quantity="5")

    assert balances_after(issue, {at(): Decimal(5)}, WAREHOUSES) == {at(): Decimal(0)}
    assert refusal(lambda: balances_after(issue, {at(): Decimal("4.999999")}, WAREHOUSES)) == (
        ErrorCode.INSUFFICIENT_STOCK,
        "quantity",
    )
    assert refusal(lambda: balances_after(issue, {}, WAREHOUSES)) == (ErrorCode.INSUFFICIENT_STOCK, "quantity")


def test_a_warehouse_that_allows_negative_stock_lets_a_balance_go_below_zero() -> None:
    issue = plan(ISSUE, source=at(warehouse="WH2"), quantity="5")

    assert balances_after(issue, {}, WAREHOUSES) == {at(warehouse="WH2"): Decimal(-5)}


def test_a_negative_balance_may_still_be_raised() -> None:
    gain = plan(ADJUSTMENT, target=at(), quantity="2")

    assert balances_after(gain, {at(): Decimal(-5)}, WAREHOUSES) == {at(): Decimal(-3)}
