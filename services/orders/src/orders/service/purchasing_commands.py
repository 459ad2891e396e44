"""The purchasing part of the orders service's command table (invariant_core.commands)."""

from __future__ import annotations

from functools import partial

from invariant_core.commands import Route
from orders.domain import purchase_commands as commands
from orders.service import purchasing
from orders.service.ports import Items, OrdersRepository
from orders.service.purchasing_ports import PurchasingReading, Receiving


def purchasing_table(reading: PurchasingReading, items: Items, stock: Receiving) -> dict[type, Route[OrdersRepository]]:
    return {
        commands.CreatePurchaseOrder: Route(
            purchasing.create_purchase_order, prepare=partial(purchasing.prepare_purchase_order, items, stock)
        ),
        commands.SendPurchaseOrder: Route(purchasing.send_purchase_order),
        commands.ReceivePurchaseOrder: Route(
            purchasing.receive_purchase_order, prepare=partial(purchasing.prepare_receipt, reading, items, stock)
        ),
        commands.ClosePurchaseOrder: Route(purchasing.close_purchase_order),
        commands.CancelPurchaseOrder: Route(purchasing.cancel_purchase_order),
        commands.ConvertSuggestions: Route(purchasing.convert_suggestions),
        commands.DismissSuggestion: Route(purchasing.dismiss_suggestion),
    }
