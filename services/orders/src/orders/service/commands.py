"""The orders service's command table: every command it takes, the handler that runs it,
and what is asked of other services before its transaction (invariant_core.commands)."""

from __future__ import annotations

from functools import partial

from invariant_core.commands import Route
from orders.domain import commands, fulfilment, work_commands
from orders.domain.returns import CreateReturn
from orders.service import fulfilment as fulfil
from orders.service import handlers, returns, work_orders
from orders.service.ports import (
    Backorders,
    Boms,
    Items,
    OrdersRepository,
    Reading,
    Releases,
    Returns,
    Stock,
    WorkReading,
    WorkReleases,
    WorkStock,
    WorkWriting,
)


def command_table(
    reading: Reading, items: Items, stock: Stock, releases: Releases, backorders: Backorders, posted: Returns
) -> dict[type, Route[OrdersRepository]]:
    return {
        commands.CreateCustomer: Route(handlers.create_customer),
        commands.CreateSupplier: Route(handlers.create_supplier, prepare=partial(handlers.prepare_supplier, items)),
        commands.CreateSalesOrder: Route(
            handlers.create_sales_order, prepare=partial(handlers.prepare_sales_order, items, stock)
        ),
        commands.ConfirmSalesOrder: Route(
            partial(handlers.confirm_sales_orders, releases, backorders),
            together=True,
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


def work_order_table(
    reading: WorkReading, writing: WorkWriting, items: Items, boms: Boms, stock: WorkStock, releases: WorkReleases
) -> dict[type, Route[OrdersRepository]]:
    """The work-order commands: what they ask of the catalog and stock runs in `prepare`."""
    return {
        work_commands.SetIssueTolerance: Route(
            work_orders.set_issue_tolerance, prepare=partial(work_orders.prepare_tolerance, items)
        ),
        work_commands.CreateWorkOrder: Route(
            work_orders.create_work_order, prepare=partial(work_orders.prepare_work_order, items, stock)
        ),
        work_commands.ReleaseWorkOrder: Route(
            work_orders.release_work_order, prepare=partial(work_orders.prepare_release, reading, items, boms, stock)
        ),
        work_commands.IssueComponents: Route(
            work_orders.record_postings, prepare=partial(work_orders.prepare_issue, reading, writing, items, stock)
        ),
        work_commands.ReturnComponents: Route(
            work_orders.record_postings, prepare=partial(work_orders.prepare_return, reading, items, stock)
        ),
        work_commands.RequestOverIssue: Route(
            work_orders.request_over_issue, prepare=partial(work_orders.prepare_over_issue, reading, items)
        ),
        work_commands.DecideOverIssue: Route(work_orders.decide_over_issue),
        work_commands.CompleteWorkOrder: Route(
            work_orders.complete_work_order, prepare=partial(work_orders.prepare_completion, reading, items, stock)
        ),
        work_commands.CloseWorkOrder: Route(partial(work_orders.close_work_order, releases)),
    }
