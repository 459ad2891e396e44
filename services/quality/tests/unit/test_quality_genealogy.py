"""Lot genealogy: backward to the suppliers, forward to the customers, and the recall list."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invariant_kernel.errors import DomainError, ErrorCode
from quality.domain.genealogy import (
    Genealogy,
    Made,
    RecallLine,
    Receipt,
    Shipment,
    StockLot,
    SupplierLot,
    TracedLot,
    WorkOrderMovement,
    WorkOrderUse,
)

ACME_LOT = SupplierLot("SUP-ACME", "ACME-7781", "STEEL")
STEEL = StockLot("STEEL", "L-S1")
SCREWS = StockLot("SCREW", "SC-1")
BRACKET = StockLot("BRACKET", "B-1")
FRAME = StockLot("FRAME", "F-1")


def received(supplier_lot: SupplierLot, lot: StockLot, po: str, quantity: str) -> Receipt:
    return Receipt(supplier_lot, lot, po, "1", Decimal(quantity))


def issued(work_order: str, lot: StockLot, quantity: str) -> WorkOrderMovement:
    return WorkOrderMovement(work_order, lot, -Decimal(quantity))


def made(work_order: str, lot: StockLot, quantity: str) -> WorkOrderMovement:
    return WorkOrderMovement(work_order, lot, Decimal(quantity))


def shipped(lot: StockLot, sales_order: str, customer: str, quantity: str) -> Shipment:
    return Shipment(lot, sales_order, customer, Decimal(quantity))


def three_levels() -> Genealogy:
    """Steel from ACME becomes brackets on WO-1; brackets and screws become frames on WO-2;
    8 of the 10 frames went to two customers."""
    return Genealogy(
        receipts=[
            received(ACME_LOT, STEEL, "PO-1", "100"),
            received(SupplierLot("SUP-BOLTCO", "BC-55", "SCREW"), SCREWS, "PO-2", "500"),
        ],
        work_order_movements=[
            issued("WO-1", STEEL, "50"),
            made("WO-1", BRACKET, "20"),
            # 10 of the steel issued came back unused: WO-1 consumed 40.
            made("WO-1", STEEL, "10"),
            issued("WO-2", BRACKET, "20"),
            issued("WO-2", SCREWS, "80"),
            made("WO-2", FRAME, "10"),
        ],
        shipments=[
            shipped(FRAME, "SO-1", "CUST-A", "4"),
            shipped(FRAME, "SO-2", "CUST-B", "3"),
            shipped(FRAME, "SO-3", "CUST-A", "1"),
        ],
    )


def test_backward_a_finished_lot_leads_to_its_work_orders_components_and_suppliers() -> None:
    trace = three_levels().backward(FRAME)

    assert trace.components == (TracedLot(1, BRACKET), TracedLot(1, SCREWS), TracedLot(2, STEEL))
    assert trace.work_orders == ("WO-1", "WO-2")
    assert trace.produced == (WorkOrderUse("WO-2", FRAME, Decimal(10)), WorkOrderUse("WO-1", BRACKET, Decimal(20)))
    assert set(trace.made) == {
        Made("WO-2", BRACKET, Decimal(20), FRAME, Decimal(10)),
        Made("WO-2", SCREWS, Decimal(80), FRAME, Decimal(10)),
        Made("WO-1", STEEL, Decimal(40), BRACKET, Decimal(20)),
    }
    assert {(r.supplier_lot.supplier, r.supplier_lot.number, r.lot, r.quantity) for r in trace.receipts} == {
        ("SUP-ACME", "ACME-7781", STEEL, Decimal(100)),
        ("SUP-BOLTCO", "BC-55", SCREWS, Decimal(500)),
    }
    assert trace.suppliers == ("SUP-ACME", "SUP-BOLTCO")


def test_forward_a_supplier_lot_leads_to_every_lot_made_from_it_and_every_customer() -> None:
    trace = three_levels().forward(ACME_LOT)

    assert trace.lots == (TracedLot(0, STEEL), TracedLot(1, BRACKET), TracedLot(2, FRAME))
    assert trace.consumed == (WorkOrderUse("WO-1", STEEL, Decimal(40)), WorkOrderUse("WO-2", BRACKET, Decimal(20)))
    # The screws went into the frames too, but did not come from this lot.
    assert trace.made == (
        Made("WO-1", STEEL, Decimal(40), BRACKET, Decimal(20)),
        Made("WO-2", BRACKET, Decimal(20), FRAME, Decimal(10)),
    )
    assert trace.receipts == (received(ACME_LOT, STEEL, "PO-1", "100"),)
    assert trace.shipments == (
        shipped(FRAME, "SO-1", "CUST-A", "4"),
        shipped(FRAME, "SO-2", "CUST-B", "3"),
        shipped(FRAME, "SO-3", "CUST-A", "1"),
    )


def test_forward_from_the_stock_lot_is_the_same_trace_as_from_the_suppliers_lot() -> None:
    genealogy = three_levels()

    by_stock_lot = genealogy.forward(STEEL)

    assert (by_stock_lot.lots, by_stock_lot.made, by_stock_lot.shipments) == (
        genealogy.forward(ACME_LOT).lots,
        genealogy.forward(ACME_LOT).made,
        genealogy.forward(ACME_LOT).shipments,
    )


def test_a_recall_lists_each_customer_with_what_they_received_and_the_lots_to_hold() -> None:
    recall = three_levels().recall(ACME_LOT)

    assert recall.lines == (
        RecallLine("CUST-A", FRAME, Decimal(5), ("SO-1", "SO-3")),
        RecallLine("CUST-B", FRAME, Decimal(3), ("SO-2",)),
    )
    assert recall.customers == ("CUST-A", "CUST-B")
    # The 2 frames not shipped, what is left of the steel and any brackets are held.
    assert recall.hold == (BRACKET, FRAME, STEEL)


def test_a_recall_of_the_screws_reaches_the_same_customers_but_not_the_steel() -> None:
    recall = three_levels().recall(SCREWS)

    assert recall.customers == ("CUST-A", "CUST-B")
    assert recall.hold == (FRAME, SCREWS)


def test_five_levels_are_traced_both_ways() -> None:
    lots = [StockLot(f"PART-{n}", f"L{n}") for n in range(6)]
    movements = [
        movement
        for n in range(5)
        for movement in (issued(f"WO-{n + 1}", lots[n], "10"), made(f"WO-{n + 1}", lots[n + 1], "10"))
    ]
    genealogy = Genealogy(
        [received(SupplierLot("SUP-ACME", "A-1", "PART-0"), lots[0], "PO-1", "10")],
        movements,
        [shipped(lots[5], "SO-1", "CUST-A", "7")],
    )

    forward = genealogy.forward(SupplierLot("SUP-ACME", "A-1", "PART-0"))
    backward = genealogy.backward(lots[5])

    assert forward.lots == tuple(TracedLot(n, lots[n]) for n in range(6))
    assert forward.work_orders == ("WO-1", "WO-2", "WO-3", "WO-4", "WO-5")
    assert genealogy.recall(lots[0]).lines == (RecallLine("CUST-A", lots[5], Decimal(7), ("SO-1",)),)
    assert backward.components == tuple(TracedLot(5 - n, lots[n]) for n in range(4, -1, -1))
    assert backward.suppliers == ("SUP-ACME",)


def test_a_lot_fed_back_by_rework_ends_the_walk() -> None:
    a, b = StockLot("FRAME", "F-1"), StockLot("FRAME", "F-1R")
    genealogy = Genealogy(
        work_order_movements=[
            issued("WO-1", a, "5"),
            made("WO-1", b, "5"),
            # Rework turns the reworked frames back into lot F-1.
            issued("WO-2", b, "5"),
            made("WO-2", a, "5"),
        ],
        shipments=[shipped(a, "SO-1", "CUST-A", "2")],
    )

    forward = genealogy.forward(a)
    backward = genealogy.backward(a)

    assert forward.lots == (TracedLot(0, a), TracedLot(1, b))
    assert forward.work_orders == ("WO-1", "WO-2")
    assert backward.components == (TracedLot(1, b),)
    assert genealogy.recall(b).hold == (a, b)


def test_a_lot_reworked_into_itself_or_returned_unused_is_no_step_of_the_trace() -> None:
    genealogy = Genealogy(
        work_order_movements=[
            issued("WO-R", FRAME, "10"),
            made("WO-R", FRAME, "10"),
            issued("WO-3", SCREWS, "5"),
            made("WO-3", SCREWS, "5"),
            made("WO-3", BRACKET, "2"),
        ]
    )

    assert genealogy.forward(FRAME).made == ()
    assert genealogy.backward(BRACKET).components == ()


def test_a_supplier_lot_received_as_two_stock_lots_is_traced_through_both() -> None:
    second = StockLot("STEEL", "L-S2")
    plate, weld = StockLot("PLATE", "P-1"), StockLot("WELDMENT", "W-1")
    genealogy = Genealogy(
        [received(ACME_LOT, STEEL, "PO-1", "60"), received(ACME_LOT, second, "PO-7", "40")],
        [
            issued("WO-1", STEEL, "60"),
            made("WO-1", plate, "6"),
            issued("WO-2", plate, "6"),
            made("WO-2", weld, "3"),
            # The second receipt went into the weldments directly.
            issued("WO-2", second, "40"),
        ],
        [shipped(weld, "SO-1", "CUST-A", "2"), shipped(plate, "SO-2", "CUST-B", "1")],
    )

    trace = genealogy.forward(ACME_LOT)
    recall = genealogy.recall(ACME_LOT)

    assert trace.lots == (TracedLot(0, STEEL), TracedLot(0, second), TracedLot(1, plate), TracedLot(1, weld))
    assert {r.purchase_order for r in trace.receipts} == {"PO-1", "PO-7"}
    assert recall.lines == (
        RecallLine("CUST-A", weld, Decimal(2), ("SO-1",)),
        RecallLine("CUST-B", plate, Decimal(1), ("SO-2",)),
    )
    assert recall.hold == (plate, STEEL, second, weld)


def test_a_lot_never_shipped_is_recalled_from_nobody_and_held() -> None:
    genealogy = Genealogy([received(ACME_LOT, STEEL, "PO-1", "100")])

    recall = genealogy.recall(STEEL)

    assert (recall.lines, recall.customers, recall.hold) == ((), (), (STEEL,))


@pytest.mark.parametrize(
    ("start", "field"),
    [
        (StockLot("STEEL", "NOPE"), "lot"),
        (SupplierLot("SUP-ACME", "NOPE", "STEEL"), "supplier_lot"),
        (SupplierLot("SUP-OTHER", "ACME-7781", "STEEL"), "supplier_lot"),
    ],
)
def test_a_trace_from_an_unknown_lot_is_refused_naming_it(start: StockLot | SupplierLot, field: str) -> None:
    with pytest.raises(DomainError) as refused:
        three_levels().forward(start)

    assert (refused.value.code, refused.value.field) == (ErrorCode.NOT_FOUND, field)


def test_backward_from_an_unknown_lot_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        three_levels().backward(StockLot("FRAME", "F-9"))

    assert refused.value.field == "lot"


def test_a_work_order_that_has_made_nothing_yet_is_traced_forward_with_what_it_consumed() -> None:
    genealogy = Genealogy(
        [received(ACME_LOT, STEEL, "PO-1", "100")],
        [issued("WO-1", STEEL, "30"), made("WO-2", FRAME, "5")],
    )

    forward = genealogy.forward(ACME_LOT)
    backward = genealogy.backward(FRAME)

    assert (forward.work_orders, forward.consumed) == (("WO-1",), (WorkOrderUse("WO-1", STEEL, Decimal(30)),))
    assert forward.lots == (TracedLot(0, STEEL),)
    # Made on WO-2 from components no movement recorded: the work order is known, its components not.
    assert (backward.work_orders, backward.components) == (("WO-2",), ())
