"""Quality's facts to inventory.quality.* payloads (the outbox sends them)."""

from __future__ import annotations

from google.protobuf.message import Message

from invariant.events.v1 import quality_pb2 as events
from invariant.events.v1 import stock_pb2 as stock_events
from invariant_core.messages import decimal_message
from quality.domain.lots import DocumentRef, InspectionDecided, InspectionLotOpened, Place
from quality.domain.nonconformance import (
    DispositionApproved,
    DispositionCarriedOut,
    DispositionPlanned,
    DispositionWithdrawn,
    NonConformanceClosed,
    NonConformanceOpened,
)
from quality.domain.plans import PlanActivated

DECIDED = "inventory.quality.inspection.decided"
OPENED = "inventory.quality.inspection_lot.opened"
ACTIVATED = "inventory.quality.plan.activated"
NCR_OPENED = "inventory.quality.nonconformance.opened"
NCR_CLOSED = "inventory.quality.nonconformance.closed"
DISPOSITION_CHANGED = "inventory.quality.disposition.changed"
QC_HOLD = "QC_HOLD"
REJECTED = "REJECTED"


def place_message(place: Place) -> stock_events.StockPlace:
    return stock_events.StockPlace(warehouse=place.warehouse, location=place.location, lot=place.lot, status=QC_HOLD)


def document_message(document: DocumentRef) -> stock_events.DocumentRef:
    return stock_events.DocumentRef(type=document.type, id=document.id, line=document.line)


def to_message(event: object) -> tuple[str, Message]:
    match event:
        case InspectionDecided():
            return DECIDED, events.InspectionDecided(
                decision_id=event.decision_id,
                inspection_lot_id=event.inspection_lot_id,
                movement_id=event.movement_id,
                item_sku=event.item_sku,
                place=place_message(event.place),
                document=document_message(event.document),
                accepted=decimal_message(event.accepted),
                rejected=decimal_message(event.rejected),
                decided_by=event.decided_by,
                plan_version=event.plan_version,
            )
        case InspectionLotOpened(lot=lot):
            return OPENED, events.InspectionLotOpened(
                inspection_lot_id=lot.id,
                movement_id=lot.movement_id,
                item_sku=lot.item_sku,
                place=place_message(lot.place),
                document=document_message(lot.document),
                quantity=decimal_message(lot.quantity),
                supplier=lot.supplier,
                supplier_lot=lot.supplier_lot,
                plan_version=lot.plan.version,
                sample_size=lot.sampling.sample_size,
                accept=lot.sampling.accept,
                reject=lot.sampling.reject,
            )
        case PlanActivated():
            return ACTIVATED, events.PlanActivated(
                plan_id=event.plan_id,
                item_sku=event.item_sku,
                supplier=event.supplier,
                version=event.version,
                superseded_plan_id=event.superseded_plan_id,
            )
        case NonConformanceOpened():
            place = event.place
            return NCR_OPENED, events.NonConformanceOpened(
                ncr_id=event.ncr_id,
                decision_id=event.decision_id,
                inspection_lot_id=event.inspection_lot_id,
                item_sku=event.item_sku,
                supplier=event.supplier,
                place=stock_events.StockPlace(
                    warehouse=place.warehouse, location=place.location, lot=place.lot, status=REJECTED
                ),
                rejected=decimal_message(event.rejected),
                defects=[events.DefectCount(code=d.code, count=d.count) for d in event.defects],
                opened_by=event.opened_by,
            )
        case DispositionPlanned() | DispositionApproved() | DispositionWithdrawn() | DispositionCarriedOut():
            disposition = event.disposition
            return DISPOSITION_CHANGED, events.DispositionChanged(
                ncr_id=event.ncr_id,
                disposition_id=disposition.id,
                kind=disposition.kind.value,
                quantity=decimal_message(disposition.quantity),
                state=disposition.state.value,
                approved_by=disposition.approved_by,
                movement_id=disposition.movement_id,
            )
        case NonConformanceClosed():
            return NCR_CLOSED, events.NonConformanceClosed(ncr_id=event.ncr_id, closed_by=event.closed_by)
    raise TypeError(f"no message for {event!r}")
