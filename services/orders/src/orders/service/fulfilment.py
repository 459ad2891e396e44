"""Fulfilling confirmed sales orders: backorders filled as stock comes in, pick lists, picks
by scan (and the shelves found short), shipments issued against the reservations, closing.

What a command needs of stock or the catalog is asked before its transaction (`prepare_*`);
what an event makes orders ask of stock is recorded with the event and sent after the commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from invariant_core import identity
from invariant_core.commands import Stale
from invariant_core.db import Recorder, utcnow
from invariant_kernel.errors import DomainError, ErrorCode
from orders.domain import fulfilment
from orders.domain.picking import PickListEntry, Shelf, pick_list
from orders.domain.sales import Issue, LineReservation, OrderLine, SalesOrder, shortage_cuts, stock_arrived
from orders.service.handlers import order_by_number
from orders.service.ports import Backorders, Items, OrdersRepository, Reading, Releases, Stock


@dataclass(frozen=True)
class PreparedPick:
    """A pick checked against the line's item and pick list before its transaction."""

    number: str
    line: int
    location: str
    lot: str
    quantity: Decimal
    # Set for a short pick: what the pick list named there.
    expected: Decimal | None = None


@dataclass(frozen=True)
class Shipping:
    """What stock issued for an order's picks, before the transaction that records it."""

    number: str
    issues: tuple[Issue, ...]
    movement_ids: tuple[str, ...]


# backorders


async def fill_backorders(
    backorders: Backorders,
    uow: Recorder,
    repo: OrdersRepository,
    item_sku: str,
    warehouse: str,
    quantity: Decimal,
    cause: str,
) -> None:
    """`quantity` of an item became available at a warehouse (the event `cause`): the lines
    waiting for it ask stock for it, oldest requested date first."""
    orders = await repo.backordered_orders(item_sku, warehouse)
    before = {order.id: tuple(order.lines) for order in orders}
    for order, line, quantity_asked in stock_arrived(orders, item_sku, warehouse, quantity):
        await backorders.ask(uow, order, line, quantity_asked, cause)
    await repo.save_sales_orders([order for order in orders if tuple(order.lines) != before[order.id]])


async def backorder_answered(
    releases: Releases,
    backorders: Backorders,
    uow: Recorder,
    repo: OrdersRepository,
    number: str,
    line: int,
    asked: Decimal,
    reservation_id: str,
    granted: Decimal,
    cause: str,
) -> None:
    """Stock answered an ask for a line's backorder (the command `cause`): book what it
    granted; what the order no longer wants (cancelled or closed meanwhile) is given back,
    and what stock may have answered before stock came in is asked again."""
    order = await repo.sales_order(number, lock=True)
    if order is None:
        return
    answer = order.backorder_answered(line, asked, reservation_id, granted)
    await repo.save_sales_order(order)
    if answer.give_back > 0:
        await releases.release(uow, order, _holding(order.line(line), reservation_id, answer.give_back))
    if answer.ask_again > 0:
        await backorders.ask(uow, order, order.line(line), answer.ask_again, cause)


def _holding(line: OrderLine, reservation_id: str, quantity: Decimal) -> OrderLine:
    """The line as holding only `quantity` of one reservation: what a release gives back."""
    return dataclasses.replace(line, reserved=quantity, reservations=(LineReservation(reservation_id, quantity),))


async def shortage_found(
    backorders: Backorders,
    releases: Releases,
    uow: Recorder,
    repo: OrdersRepository,
    reservation_ids: Collection[str],
    short_by: Decimal,
    cause: str,
) -> None:
    """Stock found less on hand than its reservations hold (the event `cause`): the lines
    holding the reservations it names lose the missing quantity, latest asked for first;
    each gives it back, is flagged and asks stock for it again, getting what is available
    now and waiting for the rest as a backorder."""
    orders = await repo.orders_holding(reservation_ids)
    asks: dict[tuple[str, int], Decimal] = {}
    for order, line, reservation_id, lost in shortage_cuts(orders, reservation_ids, short_by):
        order.lose(line.line, reservation_id, lost)
        await releases.give_back(uow, order, line.line, reservation_id, lost, cause)
        asks[order.id, line.line] = asks.get((order.id, line.line), Decimal(0)) + lost
    for order in orders:
        for line in order.lines:
            if (order.id, line.line) in asks:
                await backorders.ask(uow, order, line, asks[order.id, line.line], cause)
        await repo.save_sales_order(order)


# pick lists


async def shelves_for(repo: OrdersRepository, stock: Stock, lines: Sequence[OrderLine]) -> dict[str, list[Shelf]]:
    """The shelves holding each line's item at its warehouse, less what is picked there and
    not shipped yet."""
    found: dict[str, list[Shelf]] = {}
    for line in lines:
        if line.item_sku in found:
            continue
        picked = await repo.unshipped_picks(line.item_sku, line.warehouse)
        found[line.item_sku] = [
            dataclasses.replace(s, quantity=s.quantity - picked.get((s.location, s.lot), Decimal(0)))
            for s in await stock.shelves(line.item_sku, line.warehouse)
        ]
    return found


async def get_pick_list(reading: Reading, items: Items, stock: Stock, number: str) -> list[PickListEntry]:
    async with reading() as repo:
        order = await order_by_number(repo, number)
        open_lines = [line for line in order.lines if line.to_pick > 0]
        shelves = await shelves_for(repo, stock, open_lines)
    views = await items.views({line.item_sku: "number" for line in open_lines}) if open_lines else {}
    return pick_list(order, shelves, {sku for sku, view in views.items() if view.lot_tracked})


async def _line_list(
    reading: Reading, items: Items, stock: Stock, number: str, line_number: int
) -> tuple[OrderLine, list[PickListEntry], bool]:
    """An order line, the pick list's entries for it, and whether its item is lot-tracked."""
    async with reading() as repo:
        order = await order_by_number(repo, number)
        line = order.line(line_number)
        shelves = await shelves_for(repo, stock, [line])
    lot_tracked = (await items.views({line.item_sku: "line"}))[line.item_sku].lot_tracked
    entries = [e for e in pick_list(order, shelves, {line.item_sku} if lot_tracked else set()) if e.line == line.line]
    return line, entries, lot_tracked


def _offered(entries: Sequence[PickListEntry], line: OrderLine, location: str, lot: str) -> PickListEntry:
    """The pick list's entry for the place a picker is at, or the refusal naming what it offers."""
    here = [e for e in entries if e.location == location]
    if not here:
        offered = ", ".join(sorted({e.location for e in entries})) or "none"
        raise DomainError(
            ErrorCode.NOT_FOUND,
            f"location {location} is not on the pick list of line {line.line} ({line.item_sku}); it offers {offered}",
            "location",
        )
    for entry in here:
        if entry.lot == lot:
            return entry
    raise DomainError(
        ErrorCode.NOT_FOUND,
        f"lot {lot or '(none)'} is not on the pick list of line {line.line} at {location}; "
        f"it offers {', '.join(e.lot for e in here)}",
        "lot",
    )


# picking


async def prepare_pick(reading: Reading, items: Items, stock: Stock, cmd: fulfilment.PickLine) -> PreparedPick:
    """The scanned barcode must be the line's item, the location and lot on its pick list."""
    line, entries, lot_tracked = await _line_list(reading, items, stock, cmd.number, cmd.line)
    scanned = await items.sku_of_barcode(cmd.barcode, "barcode")
    if scanned != line.item_sku:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"barcode {cmd.barcode.strip()} is item {scanned}; line {line.line} expects item {line.item_sku}",
            "barcode",
        )
    view = (await items.views({line.item_sku: "barcode"}))[line.item_sku]
    quantity = view.to_base(cmd.quantity, cmd.unit, "quantity", "unit")
    lot = _lot(cmd.lot, lot_tracked)
    entry = _offered(entries, line, location_code(cmd.location), lot)
    return PreparedPick(cmd.number, line.line, entry.location, entry.lot, quantity)


async def prepare_short_pick(reading: Reading, items: Items, stock: Stock, cmd: fulfilment.ShortPick) -> PreparedPick:
    """What the pick list named at the place the picker found short."""
    line, entries, lot_tracked = await _line_list(reading, items, stock, cmd.number, cmd.line)
    view = (await items.views({line.item_sku: "line"}))[line.item_sku]
    found = Decimal(0) if _empty_shelf(cmd.found) else view.to_base(cmd.found, "", "found")
    entry = _offered(entries, line, location_code(cmd.location), _lot(cmd.lot, lot_tracked))
    return PreparedPick(cmd.number, line.line, entry.location, entry.lot, found, expected=entry.quantity)


def _empty_shelf(found: str) -> bool:
    """Whether the picker found nothing (which the base unit's rules, refusing zero, do not take)."""
    if not found.strip():
        raise DomainError(ErrorCode.REQUIRED, "found is required: 0 where the shelf is empty", "found")
    try:
        return Decimal(found.strip()) == 0
    except ArithmeticError:
        return False


def location_code(raw: str) -> str:
    if not raw.strip():
        raise DomainError(ErrorCode.REQUIRED, "location is required", "location")
    return raw.strip().upper()


def _lot(lot: str, lot_tracked: bool) -> str:
    if lot_tracked and not lot.strip():
        raise DomainError(ErrorCode.REQUIRED, "lot is required: the item is lot-tracked", "lot")
    return lot.strip() if lot_tracked else ""


async def pick_line(uow: Recorder, repo: OrdersRepository, cmd: PreparedPick) -> SalesOrder:
    order = await order_by_number(repo, cmd.number, lock=True)
    order.pick(cmd.line, cmd.location, cmd.lot, cmd.quantity, identity.current.get().actor, utcnow(), cmd.expected)
    return await _saved(uow, repo, order)


# shipping and closing


def issue_key(order: SalesOrder, issue: Issue) -> str:
    """Stock's key for issuing part of a pick: a pick is issued against a reservation once,
    however often (or by however many shippers at once) the order is shipped."""
    return f"orders/ship/{order.id}/{issue.pick}/{issue.reservation_id}"


async def prepare_shipment(reading: Reading, stock: Stock, cmd: fulfilment.ShipSalesOrder) -> Shipping:
    """Issue the order's picks against its reservations, outside any transaction."""
    async with reading() as repo:
        order = await order_by_number(repo, cmd.number)
    issues = order.issues()
    movements = [await stock.issue(issue_key(order, issue), order, issue) for issue in issues]
    return Shipping(order.number, tuple(issues), tuple(movements))


async def ship_sales_order(uow: Recorder, repo: OrdersRepository, cmd: Shipping) -> SalesOrder:
    """Record what stock issued as a shipment. Shipped meanwhile by another shipper with the
    same issues (stock answered both alike), it is answered as it stands."""
    order = await order_by_number(repo, cmd.number, lock=True)
    if all(p.shipment for p in order.picks if p.seq in {i.pick for i in cmd.issues}):
        return order
    if tuple(order.issues()) != cmd.issues:
        raise Stale(f"order {order.number} was picked again while it was shipped")
    order.ship(cmd.issues, cmd.movement_ids, identity.current.get().actor, utcnow())
    return await _saved(uow, repo, order)


async def close_sales_order(
    releases: Releases, uow: Recorder, repo: OrdersRepository, cmd: fulfilment.CloseSalesOrder
) -> SalesOrder:
    order = await order_by_number(repo, cmd.number, lock=True)
    held = order.close(identity.current.get().actor, utcnow())
    for line in held:
        await releases.release(uow, order, line)
    return await _saved(uow, repo, order)


async def _saved(uow: Recorder, repo: OrdersRepository, order: SalesOrder) -> SalesOrder:
    """The order stored, and its events sent with the commit."""
    await repo.save_sales_order(order)
    uow.track(order)
    return order
