"""Stock's event consumers: the catalog's items and thresholds, counts approved in counting,
and quality's inspection decisions."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from invariant.events.v1 import catalog_pb2, counting_pb2, envelope_pb2, quality_pb2
from invariant_core.bus import Replica, Subscription, reading_through
from invariant_core.db import UnitOfWork
from invariant_core.items import item_view
from stock.adapters.repository import SqlStockRepository
from stock.domain import commands, parse_place
from stock.service import handlers

INSPECTION_DECIDED = "inventory.quality.inspection.decided"


def subscriptions(items: Replica) -> list[Subscription]:
    """The durable consumers stock runs, each with its handler."""
    return [
        Subscription(durable="stock-catalog", subject="inventory.catalog.>", handler=apply_catalog_event),
        Subscription(
            durable="stock-counting",
            subject="inventory.counting.adjustment.approved",
            handler=apply_counting_event,
            prepare=reading_through(items, items_named),
        ),
        Subscription(
            durable="stock-inspections",
            subject=INSPECTION_DECIDED,
            handler=apply_inspection_decision,
            prepare=reading_through(items, items_named),
        ),
    ]


async def apply_catalog_event(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    """Keep the item replica and thresholds current; other catalog facts are ignored."""
    repo = SqlStockRepository(uow.session)
    if envelope.type == "inventory.catalog.item.upserted":
        item = catalog_pb2.ItemUpserted()
        envelope.payload.Unpack(item)
        await repo.save_item(
            item_view(item),
            Decimal(item.standard_cost.value or "0"),
            item.version,
        )
    elif envelope.type == "inventory.catalog.thresholds.changed":
        limits = catalog_pb2.ThresholdsChanged()
        envelope.payload.Unpack(limits)
        await repo.save_thresholds(
            limits.sku, limits.warehouse, Decimal(limits.safety_stock.value), Decimal(limits.max_stock.value)
        )


async def apply_counting_event(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    """Post the adjustments of an approved count; other counting facts are ignored."""
    if envelope.type != "inventory.counting.adjustment.approved":
        return
    approved = counting_pb2.CountAdjustmentApproved()
    envelope.payload.Unpack(approved)
    await handlers.post_approved_count(
        uow,
        SqlStockRepository(uow.session),
        count_id=approved.count_id,
        warehouse=approved.warehouse,
        part=approved.part,
        lines=[
            handlers.ApprovedCountLine(
                line_id=line.line_id,
                item_sku=line.item_sku,
                location=line.location,
                lot=line.lot,
                variance=line.variance.value,
                reasons=[(r.reason_code, r.quantity.value) for r in line.reasons],
                counted_at=line.counted_at.ToDatetime(tzinfo=UTC) if line.HasField("counted_at") else None,
            )
            for line in approved.lines
        ],
    )


async def apply_inspection_decision(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    """Move what an inspection decision names out of QC_HOLD, as the decider (the envelope's actor)."""
    if envelope.type != INSPECTION_DECIDED:
        return
    decided = quality_pb2.InspectionDecided()
    envelope.payload.Unpack(decided)
    place = decided.place
    await handlers.post_inspection_decision(
        uow,
        SqlStockRepository(uow.session),
        commands.PostInspectionDecision(
            decision_id=decided.decision_id,
            inspection_lot_id=decided.inspection_lot_id,
            item_sku=decided.item_sku,
            held=parse_place(place.warehouse, place.location, place.lot, place.status or "QC_HOLD", "place"),
            accepted=decided.accepted.value or "0",
            rejected=decided.rejected.value or "0",
        ),
    )


def items_named(envelope: envelope_pb2.Envelope) -> dict[str, str]:
    """The items an event consumed here names (SKU → its field), to be read through before it is applied."""
    if envelope.type == INSPECTION_DECIDED:
        decided = quality_pb2.InspectionDecided()
        envelope.payload.Unpack(decided)
        return {decided.item_sku: "item_sku"}
    if envelope.type != "inventory.counting.adjustment.approved":
        return {}
    approved = counting_pb2.CountAdjustmentApproved()
    envelope.payload.Unpack(approved)
    return {line.item_sku: f"lines[{index}].item_sku" for index, line in enumerate(approved.lines)}
