"""Counting's facts to inventory.counting.* payloads (the outbox sends them)."""

from __future__ import annotations

from google.protobuf.message import Message

from counting.domain.events import AdjustmentApproved, CountPosted
from invariant.events.v1 import counting_pb2 as events
from invariant.events.v1 import stock_pb2 as stock_events
from invariant_core.messages import decimal_message


def to_message(event: object) -> tuple[str, Message]:
    match event:
        case AdjustmentApproved():
            message = events.CountAdjustmentApproved(
                count_id=event.count_id, warehouse=event.warehouse, part=event.part, parts=event.parts
            )
            for line in event.lines:
                approved = message.lines.add(
                    line_id=line.line_id,
                    item_sku=line.item_sku,
                    location=line.location,
                    lot=line.lot,
                    variance=decimal_message(line.variance),
                    reasons=[
                        stock_events.ReasonQuantity(reason_code=code, quantity=decimal_message(quantity))
                        for code, quantity in line.reasons
                    ],
                )
                approved.counted_at.FromDatetime(line.counted_at)
            return "inventory.counting.adjustment.approved", message
        case CountPosted():
            return "inventory.counting.count.posted", events.CountPosted(
                count_id=event.count_id,
                warehouse=event.warehouse,
                lines=event.lines,
                adjusted_lines=event.adjusted_lines,
                variance_value=decimal_message(event.variance_value),
            )
    raise TypeError(f"no message for {event!r}")
