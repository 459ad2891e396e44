"""Stock's domain events to inventory.stock.* payloads (the outbox sends them)."""

from __future__ import annotations

from google.protobuf.message import Message

from invariant.events.v1 import stock_pb2 as events
from invariant_core.messages import decimal_message
from stock.domain import Place
from stock.domain.events import (
    CountAdjustmentsPosted,
    MovementPosted,
    NegativeBalanceAttempted,
    ReservationChanged,
    ShortageFound,
    ThresholdCrossed,
)
from stock.domain.reservations import DocumentRef


def _place(place: Place | None) -> events.StockPlace | None:
    if place is None:
        return None
    return events.StockPlace(
        warehouse=place.warehouse, location=place.location, lot=place.lot, status=str(place.status)
    )


def _document(ref: DocumentRef) -> events.DocumentRef:
    return events.DocumentRef(type=ref.type, id=ref.id, line=ref.line)


def to_message(event: object) -> tuple[str, Message]:
    match event:
        case MovementPosted():
            message = events.MovementPosted(
                movement_id=event.movement_id,
                sequence=event.sequence,
                type=str(event.type),
                item_sku=event.item_sku,
                quantity=decimal_message(event.quantity),
                document=_document(event.document),
                reason_code=event.reason_code,
                reasons=[
                    events.ReasonQuantity(reason_code=r.reason_code, quantity=decimal_message(r.quantity))
                    for r in event.reasons
                ],
                reservation_id=event.reservation_id,
                supplier=event.supplier,
                supplier_lot=event.supplier_lot,
            )
            for name, place in (("from", event.from_place), ("to", event.to_place)):
                if place is not None:
                    getattr(message, name).CopyFrom(_place(place))
            message.business_time.FromDatetime(event.business_time)
            return f"inventory.stock.{event.fact}.posted", message
        case ReservationChanged():
            return f"inventory.stock.reservation.{event.fact}", events.ReservationChanged(
                reservation_id=event.reservation_id,
                item_sku=event.item_sku,
                warehouse=event.warehouse,
                quantity=decimal_message(event.quantity),
                open=decimal_message(event.open),
                owner=_document(event.owner),
            )
        case ThresholdCrossed():
            return "inventory.stock.threshold.crossed", events.ThresholdCrossed(
                item_sku=event.item_sku,
                warehouse=event.warehouse,
                kind=event.kind,
                level=decimal_message(event.level),
                available_to_promise=decimal_message(event.available_to_promise),
                id=event.id,
            )
        case ShortageFound():
            return "inventory.stock.shortage", events.Shortage(
                item_sku=event.item_sku,
                warehouse=event.warehouse,
                available_on_hand=decimal_message(event.available_on_hand),
                reserved=decimal_message(event.reserved),
                short_by=decimal_message(event.short_by),
                reservation_ids=list(event.reservation_ids),
                movement_id=event.movement_id,
                id=event.id,
            )
        case NegativeBalanceAttempted():
            return "inventory.stock.negative_balance.attempted", events.NegativeBalanceAttempted(
                item_sku=event.item_sku,
                place=_place(event.place),
                asked=decimal_message(event.asked),
                on_hand=decimal_message(event.on_hand),
                movement_type=str(event.movement_type),
                document=_document(event.document),
                id=event.id,
            )
        case CountAdjustmentsPosted():
            return "inventory.stock.count.adjustments.posted", events.CountAdjustmentsPosted(
                count_id=event.count_id,
                part=event.part,
                lines=[events.PostedCountLine(line_id=line, movement_id=movement) for line, movement in event.lines],
            )
    raise TypeError(f"no message for {event!r}")
