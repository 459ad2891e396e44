"""Lot traceability through the real services: a three-level genealogy (a supplier's lot into
a sub-assembly, the sub-assembly into a finished lot, the finished lot to two customers) built
from stock's own movements and orders' shipment events, traced both ways, recalled, and its
unshipped units put on hold; each movement kept once however often it is delivered."""

from __future__ import annotations

import uuid
from decimal import Decimal

from quality_support import SHELF, WAREHOUSE, Suite, caught_up, d, key, publish, refused, warehouse
from sqlalchemy import func, select

from invariant.catalog.v1 import catalog_pb2 as cpb
from invariant.events.v1 import envelope_pb2
from invariant.events.v1 import orders_pb2 as order_events
from invariant.events.v1 import stock_pb2 as stock_events
from invariant.quality.v1 import quality_pb2 as pb
from invariant.stock.v1 import stock_pb2 as spb
from invariant_core import identity
from invariant_core.db import utcnow
from invariant_core.messages import timestamp_message
from invariant_core.testing import eventually
from invariant_kernel.errors import ErrorCode

MOVEMENT_POSTED = "inventory.stock.movement.posted"
SHIPMENT_POSTED = "inventory.orders.shipment.posted"
SUPERVISOR = identity.Identity(actor="sam", roles=frozenset({"supervisor"}))


async def lot_item(suite: Suite, name: str) -> str:
    sku = f"{name}-{uuid.uuid4().hex[:8].upper()}"
    await suite.catalog.CreateItem(
        cpb.CreateItemRequest(idempotency_key=key(), sku=sku, name=name, base_unit="EA", lot_tracked=True)
    )
    return sku


def at(lot: str) -> spb.StockPlace:
    return spb.StockPlace(warehouse=WAREHOUSE, location=SHELF, lot=lot, status=spb.STOCK_STATUS_AVAILABLE)


async def bought(suite: Suite, sku: str, lot: str, quantity: int, order: str, supplier: str, number: str) -> None:
    await suite.stock.PostMovement(
        spb.PostMovementRequest(
            idempotency_key=key(),
            type=spb.MOVEMENT_TYPE_RECEIPT,
            item_sku=sku,
            quantity=d(quantity),
            to=at(lot),
            document=spb.DocumentRef(type="PURCHASE_ORDER", id=order, line="1"),
            supplier=supplier,
            supplier_lot=number,
        )
    )


async def work(suite: Suite, order: str, kind: int, sku: str, lot: str, quantity: int) -> spb.Movement:
    """An issue to, or a receipt from, a work order, as orders posts them."""
    request = spb.PostMovementRequest(
        idempotency_key=key(),
        type=kind,
        item_sku=sku,
        quantity=d(quantity),
        document=spb.DocumentRef(type="WORK_ORDER", id=order),
    )
    if kind == spb.MOVEMENT_TYPE_ISSUE:
        getattr(request, "from").CopyFrom(at(lot))
    else:
        request.to.CopyFrom(at(lot))
    return await suite.stock.PostMovement(request)


async def shipped(suite: Suite, number: str, customer: str, sku: str, lot: str, quantity: int) -> None:
    """Stock's issue for the shipment, then orders' shipment.posted of the real contract."""
    issue = await suite.stock.PostMovement(
        spb.PostMovementRequest(
            idempotency_key=key(),
            type=spb.MOVEMENT_TYPE_ISSUE,
            item_sku=sku,
            quantity=d(quantity),
            document=spb.DocumentRef(type="SALES_ORDER", id=number, line="1"),
            **{"from": at(lot)},
        )
    )
    envelope = envelope_pb2.Envelope(id=key(), type=SHIPMENT_POSTED, producer="orders", actor="pia")
    envelope.occurred_at.CopyFrom(timestamp_message(utcnow()))
    envelope.payload.Pack(
        order_events.ShipmentPosted(
            order_id=key(),
            number=number,
            customer=customer,
            shipment=1,
            lines=[
                order_events.ShippedLineFact(line=1, item_sku=sku, warehouse=WAREHOUSE, lot=lot, quantity=d(quantity))
            ],
            movement_ids=[issue.id],
            complete=True,
        )
    )
    await caught_up(suite.events, "quality-shipments", await publish(suite.events, SHIPMENT_POSTED, envelope))


async def genealogy(suite: Suite) -> tuple[str, str, str, spb.Movement]:
    """Component lots C-1 (ACME's A-77) and C-2 (BETA's B-5); WO-1 consumes 50 of C-1 (60
    issued, 10 returned) and 10 of C-2 into 30 of sub-assembly S-1; WO-2 consumes 20 of S-1
    into 20 of finished F-1; F-1 ships 8 to CUST-A and 5 to CUST-B."""
    await warehouse(suite)
    component, sub, finished = [await lot_item(suite, name) for name in ("COMP", "SUB", "FIN")]
    await bought(suite, component, "C-1", 100, "PO-1", "ACME", "A-77")
    await bought(suite, component, "C-2", 50, "PO-2", "BETA", "B-5")
    issue, receipt = spb.MOVEMENT_TYPE_ISSUE, spb.MOVEMENT_TYPE_RECEIPT
    wo1, wo2 = f"WO-{uuid.uuid4().hex[:6]}", f"WO-{uuid.uuid4().hex[:6]}"
    first = await work(suite, wo1, issue, component, "C-1", 60)
    await work(suite, wo1, issue, component, "C-2", 10)
    await work(suite, wo1, receipt, component, "C-1", 10)
    await work(suite, wo1, receipt, sub, "S-1", 30)
    await work(suite, wo2, issue, sub, "S-1", 20)
    await work(suite, wo2, receipt, finished, "F-1", 20)
    await shipped(suite, "SO-1", "CUST-A", finished, "F-1", 8)
    await shipped(suite, "SO-2", "CUST-B", finished, "F-1", 5)
    return component, sub, finished, first


def trace_of(sku: str, lot: str = "", supplier: str = "", supplier_lot: str = "") -> pb.TraceStart:
    return pb.TraceStart(item_sku=sku, lot=lot, supplier=supplier, supplier_lot=supplier_lot)


async def recalled(suite: Suite, start: pb.TraceStart, customers: int) -> pb.RecallResponse:
    async def known() -> bool:
        try:
            found = await suite.quality.Recall(pb.RecallRequest(start=start))
        except Exception:  # noqa: BLE001 - not yet recorded: the consumer is behind
            return False
        return len(found.lines) == customers and len(found.hold) == 3

    await eventually(known, "the genealogy is recorded")
    return await suite.quality.Recall(pb.RecallRequest(start=start))


async def test_a_supplier_lot_is_traced_forward_to_two_customers_and_a_finished_lot_back_to_two_suppliers(
    suite: Suite,
) -> None:
    component, sub, finished, _ = await genealogy(suite)

    recall = await recalled(suite, trace_of(component, supplier="ACME", supplier_lot="A-77"), 2)
    assert [(x.customer, x.item_sku, x.lot, x.quantity.value, list(x.sales_orders)) for x in recall.lines] == [
        ("CUST-A", finished, "F-1", "8", ["SO-1"]),
        ("CUST-B", finished, "F-1", "5", ["SO-2"]),
    ]
    assert sorted((x.item_sku, x.lot) for x in recall.hold) == sorted(
        [(component, "C-1"), (sub, "S-1"), (finished, "F-1")]
    )

    forward = await suite.quality.TraceForward(
        pb.TraceForwardRequest(start=trace_of(component, supplier="ACME", supplier_lot="A-77"))
    )
    assert [(x.level, x.item_sku, x.lot) for x in forward.lots] == [
        (0, component, "C-1"),
        (1, sub, "S-1"),
        (2, finished, "F-1"),
    ]
    # WO-1 consumed 50 of C-1: 60 issued, 10 returned unused.
    assert sorted((u.item_sku, u.lot, u.quantity.value) for u in forward.uses) == sorted(
        [(component, "C-1", "50"), (sub, "S-1", "20")]
    )
    assert len(forward.work_orders) == 2
    assert sorted((s.customer, s.quantity.value) for s in forward.shipments) == [("CUST-A", "8"), ("CUST-B", "5")]

    backward = await suite.quality.TraceBackward(pb.TraceBackwardRequest(item_sku=finished, lot="F-1"))
    assert [(x.level, x.item_sku, x.lot) for x in backward.lots] == [
        (1, sub, "S-1"),
        (2, component, "C-1"),
        (2, component, "C-2"),
    ]
    assert list(backward.suppliers) == ["ACME", "BETA"]
    assert sorted(
        (r.supplier, r.supplier_lot, r.lot, r.purchase_order, r.quantity.value) for r in backward.receipts
    ) == [
        ("ACME", "A-77", "C-1", "PO-1", "100"),
        ("BETA", "B-5", "C-2", "PO-2", "50"),
    ]
    assert sorted(forward.work_orders) == sorted(backward.work_orders)


async def test_the_recall_hold_puts_every_unshipped_unit_on_hold_and_nothing_shipped(suite: Suite) -> None:
    component, sub, finished, _ = await genealogy(suite)
    start = trace_of(component, "C-1")
    await recalled(suite, start, 2)
    request = pb.HoldRecalledLotsRequest(idempotency_key=key(), start=start, reason="supplier recall A-77")

    with identity.acting(SUPERVISOR):
        held = await suite.quality.HoldRecalledLots(request)
        again = await suite.quality.HoldRecalledLots(request)

    assert [lot.id for lot in again.lots] == [lot.id for lot in held.lots]
    assert sorted((lot.item_sku, lot.place.lot, lot.quantity.value) for lot in held.lots) == sorted(
        [(component, "C-1", "50"), (sub, "S-1", "10"), (finished, "F-1", "7")]
    )

    async def on_hold() -> bool:
        found = await suite.stock.ListBalances(spb.ListBalancesRequest(warehouse=WAREHOUSE, page_size=100))
        book = {
            (b.item_sku, b.place.lot, b.place.status): Decimal(b.quantity.value)
            for b in found.balances
            if Decimal(b.quantity.value)
        }
        return book == {
            (component, "C-1", spb.STOCK_STATUS_QC_HOLD): Decimal(50),
            (component, "C-2", spb.STOCK_STATUS_AVAILABLE): Decimal(40),
            (sub, "S-1", spb.STOCK_STATUS_QC_HOLD): Decimal(10),
            (finished, "F-1", spb.STOCK_STATUS_QC_HOLD): Decimal(7),
        }

    await eventually(on_hold, "every unshipped unit of the recalled lots is on hold, and nothing else")


async def test_the_same_movement_delivered_twice_adds_one_edge(suite: Suite) -> None:
    component, _, _, first = await genealogy(suite)
    await recalled(suite, trace_of(component, "C-1"), 2)

    again = envelope_pb2.Envelope(id=key(), type=MOVEMENT_POSTED, producer="stock", actor="desk")
    again.occurred_at.CopyFrom(timestamp_message(utcnow()))
    again.payload.Pack(
        stock_events.MovementPosted(
            movement_id=first.id,
            type="ISSUE",
            item_sku=component,
            quantity=d(60),
            **{"from": stock_events.StockPlace(warehouse=WAREHOUSE, location=SHELF, lot="C-1", status="AVAILABLE")},
            document=stock_events.DocumentRef(type="WORK_ORDER", id=first.document.id),
        )
    )
    await caught_up(suite.events, "quality-movements", await publish(suite.events, MOVEMENT_POSTED, again))

    async with suite.running["quality"].uows.reader() as uow:
        facts = uow.metadata.tables["lot_facts"]
        kept = await uow.session.scalar(select(func.count()).select_from(facts).where(facts.c.fact_id == first.id))
    assert kept == 1
    forward = await suite.quality.TraceForward(pb.TraceForwardRequest(start=trace_of(component, "C-1")))
    assert (component, "C-1", "50") in {(u.item_sku, u.lot, u.quantity.value) for u in forward.uses}


async def test_a_trace_of_a_lot_nothing_is_recorded_of_is_refused_naming_lot(suite: Suite) -> None:
    refusal = await refused(suite.quality.TraceForward(pb.TraceForwardRequest(start=trace_of("NO-SUCH", "X-1"))))
    assert (refusal.code, refusal.field) == (ErrorCode.NOT_FOUND, "lot")
