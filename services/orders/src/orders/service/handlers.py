"""The orders service's commands and queries. A command runs in one transaction that the
dispatcher opens and commits (invariant_core.commands); handlers never commit, and what they
need of other services is read before the transaction (`prepare_*`) or sent after it."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from invariant_core import identity
from invariant_core.coalesce import Call
from invariant_core.db import Recorder, utcnow
from invariant_core.paging import at_most_a_page
from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.errors import DomainError, ErrorCode, not_found
from invariant_kernel.units import ItemView
from orders.domain import commands
from orders.domain.partners import Customer, Supplier, SupplierItem, partner_code
from orders.domain.sales import (
    DOCUMENT_TYPE,
    Grant,
    LineReservation,
    OrderLine,
    PromisePolicy,
    SalesOrder,
    SalesOrderState,
    order_number,
)
from orders.service.ports import Backorders, Items, OrdersRepository, Reading, Releases, Stock


@dataclass(frozen=True)
class PlacedOrder:
    """A sales order's lines resolved outside the transaction: items, units and warehouses checked."""

    customer: str
    customer_reference: str
    policy: PromisePolicy
    lines: tuple[OrderLine, ...]


@dataclass(frozen=True)
class Promised:
    """What stock promised an order, asked before the transaction that records it."""

    number: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class PricedSupplier:
    code: str
    name: str
    items: tuple[SupplierItem, ...]


# partners


async def create_customer(uow: Recorder, repo: OrdersRepository, cmd: commands.CreateCustomer) -> Customer:
    customer = Customer.create(str(uuid.uuid4()), cmd.code, cmd.name, utcnow())
    if await repo.customer(customer.code) is not None:
        raise DomainError(ErrorCode.ALREADY_EXISTS, f"customer {customer.code} already exists", "code")
    await repo.add_customer(customer)
    return customer


async def prepare_supplier(items: Items, cmd: commands.CreateSupplier) -> PricedSupplier:
    """The supplied items named as the catalog knows them, pack sizes in their base units."""
    fields = {i.item_sku: f"items[{n}].item_sku" for n, i in enumerate(cmd.items)}
    views = await items.views(fields) if fields else {}
    supplied = tuple(
        SupplierItem(
            view.sku,
            view.to_base(i.pack_size, "", f"items[{n}].pack_size") if i.pack_size.strip() else None,
            i.lead_time_days,
        )
        for n, i in enumerate(cmd.items)
        for view in (views[i.item_sku.strip().upper()],)
    )
    return PricedSupplier(cmd.code, cmd.name, supplied)


async def create_supplier(uow: Recorder, repo: OrdersRepository, cmd: PricedSupplier) -> Supplier:
    supplier = Supplier.create(str(uuid.uuid4()), cmd.code, cmd.name, cmd.items, utcnow())
    if await repo.supplier(supplier.code) is not None:
        raise DomainError(ErrorCode.ALREADY_EXISTS, f"supplier {supplier.code} already exists", "code")
    await repo.add_supplier(supplier)
    return supplier


# sales orders


async def prepare_sales_order(items: Items, stock: Stock, cmd: commands.CreateSalesOrder) -> PlacedOrder:
    """Each line's item (by SKU or barcode), its quantity in the base unit, and its warehouse
    known to stock: asked of the catalog and stock before the transaction opens."""
    policy = _policy(cmd.policy)
    skus: list[str] = []
    for n, line in enumerate(cmd.lines):
        field = f"lines[{n}]"
        if line.item_sku.strip() and line.barcode.strip():
            raise DomainError(
                ErrorCode.MUTUALLY_EXCLUSIVE, f"{field} names its item by item_sku or barcode, not both", field
            )
        if line.barcode.strip():
            skus.append(await items.sku_of_barcode(line.barcode, f"{field}.barcode"))
        elif line.item_sku.strip():
            skus.append(line.item_sku)
        else:
            raise DomainError(ErrorCode.REQUIRED, f"{field} needs item_sku or barcode", f"{field}.item_sku")
    views = await items.views({sku: f"lines[{n}].item_sku" for n, sku in reversed(list(enumerate(skus)))})
    warehouses = [normalise_warehouse(line.warehouse, f"lines[{n}].warehouse") for n, line in enumerate(cmd.lines)]
    known = await stock.warehouses(set(warehouses))
    for n, code in enumerate(warehouses):
        if code not in known:
            raise not_found("warehouse", code, f"lines[{n}].warehouse")
    lines = tuple(
        _line(n, views[sku.strip().upper()], line, warehouse)
        for n, (sku, line, warehouse) in enumerate(zip(skus, cmd.lines, warehouses, strict=True))
    )
    return PlacedOrder(cmd.customer, cmd.customer_reference, policy, lines)


def _line(n: int, item: ItemView, line: commands.LineInput, warehouse: str) -> OrderLine:
    field = f"lines[{n}]"
    base = item.to_base(line.quantity, line.unit, f"{field}.quantity", f"{field}.unit")
    unit = item.unit_code(line.unit, f"{field}.unit")
    return OrderLine(
        line=n + 1,
        item_sku=item.sku,
        quantity=Decimal(line.quantity.strip()),
        unit=unit,
        base_quantity=base,
        base_unit=item.base_unit,
        warehouse=warehouse,
        requested_date=line.requested_date,
    )


def _policy(name: str) -> PromisePolicy:
    try:
        return PromisePolicy(name or PromisePolicy.ALL_OR_NOTHING)
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID_FORMAT, f"policy must be one of {', '.join(PromisePolicy)}", "policy"
        ) from None


async def create_sales_order(uow: Recorder, repo: OrdersRepository, cmd: PlacedOrder) -> SalesOrder:
    code = partner_code(cmd.customer, "customer")
    if await repo.customer(code) is None:
        raise not_found("customer", code, "customer")
    order = SalesOrder.create(
        id=str(uuid.uuid4()),
        number=order_number(await repo.next_number(DOCUMENT_TYPE)),
        customer=code,
        customer_reference=cmd.customer_reference,
        policy=cmd.policy,
        lines=cmd.lines,
        actor=identity.current.get().actor,
        now=utcnow(),
    )
    await repo.add_sales_order(order)
    return order


def confirmation_key(order: SalesOrder) -> str:
    """Stock's key for an order's reservation: one per order, so that two confirmations of
    one order at once are answered by stock once, with the same reservations."""
    return f"orders/confirm/{order.id}"


async def prepare_confirmation(reading: Reading, stock: Stock, cmd: commands.ConfirmSalesOrder) -> Promised:
    """Ask stock to reserve a DRAFT order's lines, outside any transaction."""
    async with reading() as repo:
        order = await order_by_number(repo, cmd.number, to_promise=True)
    order.require_draft("confirmed")
    return Promised(order.number, tuple(await stock.reserve(confirmation_key(order), order)))


async def confirm_sales_orders(
    releases: Releases,
    backorders: Backorders,
    uow: Recorder,
    repo: OrdersRepository,
    calls: Sequence[Call[Promised]],
) -> list[SalesOrder | DomainError]:
    """Record what stock promised each of several orders, in one transaction: confirmations
    that arrive together share it. An order confirmed meanwhile by the same promise is
    answered as it stands; one cancelled meanwhile gives the promise back.

    A line promised short asks stock once more for the rest after the commit: stock that
    came in while the confirmation was on its way was announced before the backorder
    existed here, and would otherwise wait for the next arrival."""
    found = {order.number: order for order in await repo.sales_orders([c.argument.number for c in calls], lock=True)}
    outcomes: list[SalesOrder | DomainError] = []
    changed: dict[str, SalesOrder] = {}
    for call in calls:
        order = found.get(call.argument.number)
        if order is None:
            outcomes.append(not_found("sales order", call.argument.number, "number"))
            continue
        with identity.acting(call.caller):
            try:
                if await _take_promise(releases, uow, order, call.argument):
                    changed[order.number] = order
                    await _ask_for_the_rest(backorders, uow, order)
                    # Each order's facts go out as whoever confirmed it.
                    uow.record(*order.events)
                    order.events.clear()
            except DomainError as refused:
                outcomes.append(refused)
                continue
        outcomes.append(order)
    await repo.save_sales_orders(list(changed.values()))
    return outcomes


async def _ask_for_the_rest(backorders: Backorders, uow: Recorder, order: SalesOrder) -> None:
    for line in order.lines:
        if line.to_ask > 0:
            asked = line.to_ask
            order.ask_backorder(line.line, asked)
            await backorders.ask(uow, order, line, asked, f"confirmation/{order.id}")


async def _take_promise(releases: Releases, uow: Recorder, order: SalesOrder, promised: Promised) -> bool:
    """Confirm `order` with stock's grants; whether it changed."""
    if order.state is SalesOrderState.CONFIRMED and [line.reservation_id for line in order.lines] == [
        grant.reservation_id for grant in promised.grants
    ]:
        return False
    if order.state is SalesOrderState.CANCELLED:
        for line, grant in zip(order.lines, promised.grants, strict=True):
            if grant.granted > 0:
                held = (LineReservation(grant.reservation_id, grant.granted),)
                given = dataclasses.replace(
                    line, reserved=grant.granted, reservation_id=grant.reservation_id, reservations=held
                )
                await releases.release(uow, order, given)
        return False
    order.confirm(promised.grants, identity.current.get().actor, utcnow())
    return True


async def cancel_sales_order(
    releases: Releases, uow: Recorder, repo: OrdersRepository, cmd: commands.CancelSalesOrder
) -> SalesOrder:
    order = await order_by_number(repo, cmd.number, lock=True)
    for line in order.cancel(cmd.reason, identity.current.get().actor, utcnow()):
        await releases.release(uow, order, line)
    await repo.save_sales_order(order)
    uow.track(order)
    return order


async def reservation_released(
    repo: OrdersRepository, order_id: str, line: int, reservation_id: str, still_reserved: Decimal
) -> None:
    """Stock answered the release of an order line's reservation (a sent command settled)."""
    order = await repo.sales_order_by_id(order_id, lock=True)
    if order is None:
        return
    order.released(line, reservation_id, still_reserved)
    await repo.save_sales_order(order)


async def get_sales_orders(repo: OrdersRepository, numbers: Sequence[str]) -> list[SalesOrder]:
    return await repo.sales_orders([n.strip().upper() for n in at_most_a_page(numbers, "numbers")])


async def order_by_number(
    repo: OrdersRepository, number: str, lock: bool = False, to_promise: bool = False
) -> SalesOrder:
    """The order numbered `number`; `to_promise`, only what confirming asks stock for."""
    code = number.strip().upper()
    if not code:
        raise DomainError(ErrorCode.REQUIRED, "number is required", "number")
    order = await (repo.order_to_promise(code) if to_promise else repo.sales_order(code, lock=lock))
    if order is None:
        raise not_found("sales order", code, "number")
    return order
