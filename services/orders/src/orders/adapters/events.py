"""Orders' facts to inventory.orders.* payloads (the outbox sends them)."""

from __future__ import annotations

from google.protobuf.message import Message

from invariant.events.v1 import orders_pb2 as events
from invariant_core.messages import decimal_message
from orders.domain.sales import Cancelled, Confirmed


def to_message(event: object) -> tuple[str, Message]:
    match event:
        case Confirmed(order=order):
            return "inventory.orders.sales_order.confirmed", events.SalesOrderConfirmed(
                order_id=order.id,
                number=order.number,
                customer=order.customer,
                lines=[
                    events.SalesOrderLineFact(
                        line=line.line,
                        item_sku=line.item_sku,
                        warehouse=line.warehouse,
                        quantity=decimal_message(line.base_quantity),
                        reserved=decimal_message(line.reserved),
                        backordered=decimal_message(line.backordered),
                    )
                    for line in order.lines
                ],
            )
        case Cancelled(order=order, reason=reason):
            return "inventory.orders.sales_order.cancelled", events.SalesOrderCancelled(
                order_id=order.id, number=order.number, customer=order.customer, reason=reason
            )
    raise TypeError(f"no message for {event!r}")
