"""Orders' facts to inventory.orders.* payloads (the outbox sends them)."""

from __future__ import annotations

from decimal import Decimal

from google.protobuf.message import Message

from invariant.events.v1 import orders_pb2 as events
from invariant_core.messages import decimal_message
from orders.domain.sales import Cancelled, Confirmed, PickFailed, SalesOrderState, ShipmentPosted


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
        case ShipmentPosted(order=order, shipment=shipment, lines=lines, movement_ids=movements):
            return "inventory.orders.shipment.posted", events.ShipmentPosted(
                order_id=order.id,
                number=order.number,
                customer=order.customer,
                shipment=shipment,
                lines=[
                    events.ShippedLineFact(
                        line=line.line,
                        item_sku=line.item_sku,
                        warehouse=line.warehouse,
                        lot=line.lot,
                        quantity=decimal_message(line.quantity),
                    )
                    for line in lines
                ],
                movement_ids=list(movements),
                complete=order.state is SalesOrderState.SHIPPED,
            )
        case PickFailed(order=order, line=line, pick=pick):
            return "inventory.orders.pick.failed", events.PickFailed(
                order=order.number,
                line=line.line,
                item_sku=line.item_sku,
                warehouse=line.warehouse,
                location=pick.location,
                expected=decimal_message(Decimal(pick.expected or 0)),
                found=decimal_message(pick.quantity),
                who=pick.actor,
                lot=pick.lot,
                order_id=order.id,
                pick=pick.seq,
            )
    raise TypeError(f"no message for {event!r}")
