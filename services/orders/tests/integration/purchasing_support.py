"""Helpers for the purchasing tests: suppliers, purchase orders, receipts, and the events of
quality and stock published as their outboxes would publish them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Sequence
from datetime import date
from decimal import Decimal

import grpc
import nats
import pytest
from google.protobuf.message import Message
from orders_support import WAREHOUSE, Suite, d, key

from invariant.catalog.v1 import catalog_pb2 as cpb
from invariant.events.v1 import envelope_pb2, quality_pb2
from invariant.events.v1 import stock_pb2 as stock_events
from invariant.orders.v1 import orders_pb2 as pb
from invariant.stock.v1 import stock_pb2 as spb
from invariant_core import rpc
from invariant_core.db import utcnow
from invariant_core.messages import timestamp_message
from invariant_kernel.errors import DomainError

DECIDED = "inventory.quality.inspection.decided"
CROSSED = "inventory.stock.threshold.crossed"


async def bought_item(suite: Suite, *, inspected: bool = False, lot_tracked: bool = False) -> str:
    """A new item (EA, boxes of 12) that nobody holds yet."""
    sku = f"P-{uuid.uuid4().hex[:10].upper()}"
    await suite.catalog.CreateItem(
        cpb.CreateItemRequest(
            idempotency_key=key(),
            sku=sku,
            name="Bought item",
            base_unit="EA",
            units=[cpb.UnitConversion(unit="BOX", factor=d(12))],
            inspect_on_receipt=inspected,
            lot_tracked=lot_tracked,
        )
    )
    return sku


async def supplier(suite: Suite, items: Sequence[tuple[str, int | str | None, int]] = ()) -> str:
    """A new supplier of the items given as (SKU, pack size or None, lead time in days)."""
    code = f"S{uuid.uuid4().hex[:8].upper()}"
    await suite.orders.CreateSupplier(
        pb.CreateSupplierRequest(
            idempotency_key=key(),
            code=code,
            name="Supplier",
            items=[
                pb.SupplierItem(item_sku=sku, pack_size=None if pack is None else d(pack), lead_time_days=lead)
                for sku, pack, lead in items
            ],
        )
    )
    return code


def po_line(sku: str, quantity: int | str, unit: str = "", **more: object) -> pb.PurchaseOrderLineInput:
    return pb.PurchaseOrderLineInput(item_sku=sku, quantity=d(quantity), unit=unit, warehouse=WAREHOUSE, **more)  # type: ignore[arg-type]


async def sent_order(suite: Suite, supplier_code: str, *lines: pb.PurchaseOrderLineInput) -> pb.PurchaseOrder:
    draft = await suite.orders.CreatePurchaseOrder(
        pb.CreatePurchaseOrderRequest(idempotency_key=key(), supplier=supplier_code, lines=lines)
    )
    return await suite.orders.SendPurchaseOrder(pb.SendPurchaseOrderRequest(idempotency_key=key(), number=draft.number))


def receipt(
    line: int, quantity: int | str, *, location: str = "A-01", lot: str = "", expiry: date | None = None
) -> pb.ReceiptLineInput:
    given = pb.ReceiptLineInput(line=line, quantity=d(quantity), location=location, lot=lot)
    if expiry is not None:
        given.expiry_date.year, given.expiry_date.month, given.expiry_date.day = expiry.year, expiry.month, expiry.day
    return given


async def receive(
    suite: Suite, number: str, *lines: pb.ReceiptLineInput, idempotency_key: str = ""
) -> pb.PurchaseOrder:
    return await suite.orders.ReceivePurchaseOrder(
        pb.ReceivePurchaseOrderRequest(idempotency_key=idempotency_key or key(), number=number, lines=lines)
    )


async def found(suite: Suite, number: str) -> pb.PurchaseOrder:
    [order] = (await suite.orders.GetPurchaseOrders(pb.GetPurchaseOrdersRequest(numbers=[number]))).orders
    return order


async def on_order(suite: Suite, sku: str) -> Decimal:
    answer = await suite.orders.GetOnOrder(pb.GetOnOrderRequest(item_sku=sku, warehouse=WAREHOUSE))
    return Decimal(answer.quantity.value)


async def availability(suite: Suite, sku: str) -> spb.Availability:
    return await suite.stock.GetAvailability(spb.GetAvailabilityRequest(item_sku=sku, warehouse=WAREHOUSE))


async def thresholds(suite: Suite, sku: str, safety: int, maximum: int) -> None:
    await suite.catalog.SetThresholds(
        cpb.SetThresholdsRequest(
            idempotency_key=key(), sku=sku, warehouse=WAREHOUSE, safety_stock=d(safety), max_stock=d(maximum)
        )
    )


def envelope(subject: str, payload: Message, producer: str) -> envelope_pb2.Envelope:
    """An event as its producer's outbox writes it."""
    made = envelope_pb2.Envelope(id=key(), type=subject, producer=producer, actor="inspector", correlation_id=key())
    made.occurred_at.CopyFrom(timestamp_message(utcnow()))
    made.payload.Pack(payload)
    return made


def decision(
    number: str, line: int, accepted: int | str, rejected: int | str, sku: str, decision_id: str = ""
) -> quality_pb2.InspectionDecided:
    """As quality decides the goods of a receipt line held in WH1/A-01 (the same decision always
    names the same inspection lot), which stock moves out of QC_HOLD too."""
    decided = decision_id or key()
    return quality_pb2.InspectionDecided(
        decision_id=decided,
        inspection_lot_id=f"LOT-{decided}",
        movement_id=key(),
        item_sku=sku,
        place=stock_events.StockPlace(warehouse=WAREHOUSE, location="A-01", status="QC_HOLD"),
        document=stock_events.DocumentRef(type="PURCHASE_ORDER", id=number, line=str(line)),
        accepted=d(accepted),
        rejected=d(rejected),
        decided_by="inspector",
        plan_version=1,
    )


def crossing(sku: str, available: int | str, level: int | str = 10, fact_id: str = "") -> stock_events.ThresholdCrossed:
    return stock_events.ThresholdCrossed(
        item_sku=sku,
        warehouse=WAREHOUSE,
        kind="BELOW_SAFETY",
        level=d(level),
        available_to_promise=d(available),
        id=fact_id or key(),
    )


async def publish(suite: Suite, *envelopes: envelope_pb2.Envelope, deduplicated: bool = True) -> None:
    """As a relay publishes; without the Nats-Msg-Id JetStream keeps a second copy of an event."""
    client = await nats.connect(suite.events.url)
    try:
        for sent in envelopes:
            headers = {"Nats-Msg-Id": sent.id} if deduplicated else None
            await client.jetstream().publish(suite.events.subject(sent.type), sent.SerializeToString(), headers=headers)
    finally:
        await client.close()


async def refusal(call: Awaitable[object]) -> DomainError:
    """The suite's refusal that the call ends in."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return rpc.from_rpc_error(raised.value)
