"""The orders service's command table: every command it takes, the handler that runs it,
and what is asked of other services before its transaction (invariant_core.commands)."""

from __future__ import annotations

from functools import partial

from invariant_core.commands import Route
from orders.domain import commands, fulfilment
from orders.domain.returns import CreateReturn
from orders.service import fulfilment as fulfil
from orders.service import handlers, returns
from orders.service.ports import Items, OrdersRepository, Reading, Releases, Returns, Stock


def command_table(
    reading: Reading, items: Items, stock: Stock, releases: Releases, posted: Returns
) -> dict[type, Route[OrdersRepository]]:
    return {
        commands.CreateCustomer: Route(handlers.create_customer),
        commands.CreateSupplier: Route(handlers.create_supplier, prepare=partial(handlers.prepare_supplier, items)),
        commands.CreateSalesOrder: Route(
            handlers.create_sales_order, prepare=partial(handlers.prepare_sales_order, items, stock)
        ),
        commands.ConfirmSalesOrder: Route(
            partial(handlers.confirm_sales_order, releases),
            prepare=partial(handlers.prepare_confirmation, reading, stock),
        ),
        commands.CancelSalesOrder: Route(partial(handlers.cancel_sales_order, releases)),
        fulfilment.PickLine: Route(fulfil.pick_line, prepare=partial(fulfil.prepare_pick, reading, items, stock)),
        fulfilment.ShortPick: Route(
            fulfil.pick_line, prepare=partial(fulfil.prepare_short_pick, reading, items, stock)
        ),
        fulfilment.ShipSalesOrder: Route(
            fulfil.ship_sales_order, prepare=partial(fulfil.prepare_shipment, reading, stock)
        ),
        fulfilment.CloseSalesOrder: Route(partial(fulfil.close_sales_order, releases)),
        CreateReturn: Route(
            partial(returns.create_return, posted), prepare=partial(returns.prepare_return, reading, items, stock)
        ),
    }
