"""A supplier's own inspection plan, end to end over real gRPC: orders receives a purchase
order of an inspected item, stock holds the goods naming the order's supplier, and quality
opens the lot by that supplier's plan; another supplier's receipt is judged by the item's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from quality_support import (
    ENGINEER,
    SHELF,
    WAREHOUSE,
    Suite,
    active_plan,
    d,
    inspected_item,
    key,
    lots_of,
    running_suite,
    warehouse,
)

from invariant.orders.v1 import orders_pb2 as opb
from invariant.orders.v1 import orders_pb2_grpc
from invariant.quality.v1 import quality_pb2 as pb
from invariant_core import identity
from invariant_core.testing import DatabaseFactory, EventBus, eventually
from orders.bootstrap import SPEC as ORDERS_SPEC


@pytest.fixture
async def suite(new_database: DatabaseFactory, event_bus: EventBus) -> AsyncIterator[Suite]:
    async with running_suite(new_database, event_bus, ORDERS_SPEC) as started:
        yield started


def orders(suite: Suite) -> orders_pb2_grpc.OrdersServiceStub:
    return orders_pb2_grpc.OrdersServiceStub(suite.channels["orders"])  # type: ignore[no-untyped-call]


async def supplier_plan(suite: Suite, sku: str, supplier: str) -> pb.InspectionPlan:
    """The supplier's plan for the item: 8 units, none defective, in force."""
    with identity.acting(ENGINEER):
        plan = await suite.quality.DraftPlan(
            pb.DraftPlanRequest(
                idempotency_key=key(),
                item_sku=sku,
                supplier=supplier,
                characteristics=[
                    pb.Characteristic(
                        code="FINISH",
                        name="Surface finish",
                        attribute=pb.AttributeCharacteristic(defect_codes=["RUST"]),
                    )
                ],
                sampling=pb.Sampling(fixed=pb.FixedSampling(size=8, accept=0)),
            )
        )
        return await suite.quality.ActivatePlan(pb.ActivatePlanRequest(idempotency_key=key(), plan_id=plan.id))


async def received_from(suite: Suite, sku: str, supplier: str, supplier_lot: str = "") -> pb.InspectionLot:
    """A purchase order of 100 sent to `supplier` and received whole by orders; the lot quality opened."""
    stub = orders(suite)
    before = len(await lots_of(suite, sku))
    draft = await stub.CreatePurchaseOrder(
        opb.CreatePurchaseOrderRequest(
            idempotency_key=key(),
            supplier=supplier,
            lines=[opb.PurchaseOrderLineInput(item_sku=sku, quantity=d(100), warehouse=WAREHOUSE)],
        )
    )
    sent = await stub.SendPurchaseOrder(opb.SendPurchaseOrderRequest(idempotency_key=key(), number=draft.number))
    await stub.ReceivePurchaseOrder(
        opb.ReceivePurchaseOrderRequest(
            idempotency_key=key(),
            number=sent.number,
            lines=[opb.ReceiptLineInput(line=1, quantity=d(100), location=SHELF, supplier_lot=supplier_lot)],
        )
    )

    async def opened() -> bool:
        return len(await lots_of(suite, sku)) > before

    await eventually(opened, f"a lot of {sku} received from {supplier}")
    [lot] = [lot for lot in await lots_of(suite, sku) if lot.document.id == sent.number]
    return lot


async def a_supplier(suite: Suite) -> str:
    code = f"S{uuid.uuid4().hex[:8].upper()}"
    await orders(suite).CreateSupplier(opb.CreateSupplierRequest(idempotency_key=key(), code=code, name="Supplier"))
    return code


async def test_a_receipt_from_a_supplier_with_its_own_plan_is_inspected_by_that_plan(suite: Suite) -> None:
    await warehouse(suite)
    sku = await inspected_item(suite)
    own, other = await a_supplier(suite), await a_supplier(suite)
    items = await active_plan(suite, sku)
    suppliers = await supplier_plan(suite, sku, own)

    theirs = await received_from(suite, sku, own, supplier_lot="ACME-7781")
    ours = await received_from(suite, sku, other)

    # The supplier's plan: 8 samples, accepted with none defective, whatever the lot's size.
    assert (theirs.supplier, theirs.supplier_lot, theirs.plan_id, theirs.quantity.value) == (
        own,
        "ACME-7781",
        suppliers.id,
        "100",
    )
    assert (theirs.sampling.sample_size, theirs.sampling.accept, theirs.sampling.reject) == (8, 0, 1)
    # The item's plan for anyone else: 100 at AQL 2.5, level II, is code letter F, 20 samples, 1/2.
    assert (ours.supplier, ours.supplier_lot, ours.plan_id) == (other, "", items.id)
    assert (ours.sampling.code_letter, ours.sampling.sample_size, ours.sampling.accept, ours.sampling.reject) == (
        "F",
        20,
        1,
        2,
    )
