"""The orders service's storage and peers in memory, for the handlers' unit tests.

FakeOrdersRepository answers as SqlOrdersRepository (orders.adapters.repository) does and
refuses what the tables' unique keys refuse; rows are copied in and out, so a handler's
change to an order is stored only when it saves it.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from invariant_core import identity
from invariant_core.coalesce import Call
from invariant_core.paging import PageQuery
from invariant_core.testing import ConstraintViolation, FakeService, paged
from invariant_kernel.errors import DomainError, not_found
from invariant_kernel.units import ItemView
from orders.domain.partners import Customer, Supplier
from orders.domain.picking import Shelf
from orders.domain.sales import OPEN_STATES, Grant, Issue, OrderLine, SalesOrder, SalesOrderState
from orders.service import handlers


class FakeOrdersRepository:
    def __init__(self) -> None:
        self.customer_rows: dict[str, Customer] = {}
        self.supplier_rows: dict[str, Supplier] = {}
        self.numbers: dict[str, int] = {}
        self.orders: dict[str, SalesOrder] = {}

    async def customer(self, code: str) -> Customer | None:
        return self.customer_rows.get(code)

    async def add_customer(self, customer: Customer) -> None:
        if customer.code in self.customer_rows:
            raise ConstraintViolation(f"customers.code {customer.code} is taken")
        self.customer_rows[customer.code] = customer

    async def customers(self, page: PageQuery) -> list[Customer]:
        return paged(self.customer_rows.values(), lambda c: (c.code,), page)

    async def supplier(self, code: str) -> Supplier | None:
        return self.supplier_rows.get(code)

    async def add_supplier(self, supplier: Supplier) -> None:
        if supplier.code in self.supplier_rows:
            raise ConstraintViolation(f"suppliers.code {supplier.code} is taken")
        self.supplier_rows[supplier.code] = supplier

    async def suppliers(self, page: PageQuery) -> list[Supplier]:
        return paged(self.supplier_rows.values(), lambda s: (s.code,), page)

    async def next_number(self, kind: str) -> int:
        self.numbers[kind] = self.numbers.get(kind, 0) + 1
        return self.numbers[kind]

    async def sales_order(self, number: str, lock: bool = False) -> SalesOrder | None:
        found = self.orders.get(number)
        return None if found is None else copy.deepcopy(found)

    async def order_to_promise(self, number: str) -> SalesOrder | None:
        return await self.sales_order(number)

    async def sales_order_by_id(self, order_id: str, lock: bool = False) -> SalesOrder | None:
        return next((copy.deepcopy(o) for o in self.orders.values() if o.id == order_id), None)

    async def sales_orders(self, numbers: Sequence[str], lock: bool = False) -> list[SalesOrder]:
        return [copy.deepcopy(self.orders[n]) for n in dict.fromkeys(numbers) if n in self.orders]

    async def list_sales_orders(
        self, customer: str, state: SalesOrderState | None, page: PageQuery
    ) -> list[SalesOrder]:
        rows = [o for o in self.orders.values() if customer in ("", o.customer) and state in (None, o.state)]
        return paged(rows, lambda o: (o.created_at, o.number), page)

    async def add_sales_order(self, order: SalesOrder) -> None:
        if order.number in self.orders:
            raise ConstraintViolation(f"sales_orders.number {order.number} is taken")
        self.orders[order.number] = _stored(order)

    async def save_sales_order(self, order: SalesOrder) -> None:
        self.orders[order.number] = _stored(order)

    async def save_sales_orders(self, orders: Sequence[SalesOrder]) -> None:
        for order in orders:
            await self.save_sales_order(order)

    async def waits_for(self, item_sku: str, warehouse: str) -> bool:
        return bool(await self.backordered_orders(item_sku, warehouse))

    async def backordered_orders(self, item_sku: str, warehouse: str) -> list[SalesOrder]:
        return [
            copy.deepcopy(o)
            for o in sorted(self.orders.values(), key=lambda o: o.id)
            if o.state in OPEN_STATES
            and any(li.item_sku == item_sku and li.warehouse == warehouse and li.backordered > 0 for li in o.lines)
        ]

    async def orders_holding(self, reservation_ids: Collection[str]) -> list[SalesOrder]:
        return [
            copy.deepcopy(o)
            for o in sorted(self.orders.values(), key=lambda o: o.id)
            if any(r.reservation_id in reservation_ids for li in o.lines for r in li.reservations)
        ]

    async def unshipped_picks(self, item_sku: str, warehouse: str) -> dict[tuple[str, str], Decimal]:
        picked: dict[tuple[str, str], Decimal] = {}
        for o in self.orders.values():
            for p in o.picks:
                line = o.line(p.line)
                if p.shipment == 0 and (line.item_sku, line.warehouse) == (item_sku, warehouse):
                    picked[p.location, p.lot] = picked.get((p.location, p.lot), Decimal(0)) + p.quantity
        return picked


def _stored(order: SalesOrder) -> SalesOrder:
    """The order as the tables keep it: without the events it recorded."""
    kept = copy.deepcopy(order)
    kept.events = []
    return kept


class FakeItems:
    """The catalog's items as orders reads them through: by SKU and by barcode."""

    def __init__(self, *items: ItemView, barcodes: Mapping[str, str] | None = None) -> None:
        self._items = {item.sku: item for item in items}
        self._barcodes = dict(barcodes or {})

    async def views(self, fields: Mapping[str, str]) -> dict[str, ItemView]:
        found = {}
        for sku, where in fields.items():
            code = sku.strip().upper()
            if code not in self._items:
                raise not_found("item", code, where)
            found[code] = self._items[code]
        return found

    async def sku_of_barcode(self, barcode: str, field: str) -> str:
        if barcode.strip() not in self._barcodes:
            raise not_found("barcode", barcode.strip(), field)
        return self._barcodes[barcode.strip()]


@dataclass
class FakeStock:
    """Stock as orders asks it: its warehouses, and a reservation that grants what `grants` says
    (or all that is asked), answering a key it saw before as it did then."""

    known: set[str] = field(default_factory=lambda: {"MAIN"})
    grants: list[Decimal] | None = None
    answered: dict[str, list[Grant]] = field(default_factory=dict)
    # Each item's AVAILABLE stock by place.
    shelved: dict[str, list[Shelf]] = field(default_factory=dict)
    # Every issue asked for, by its key (a key asked again is answered as before).
    issued: dict[str, Issue] = field(default_factory=dict)

    async def warehouses(self, codes: Collection[str]) -> set[str]:
        return set(codes) & self.known

    async def reserve(self, key: str, order: SalesOrder) -> list[Grant]:
        if key not in self.answered:
            given = self.grants or [line.base_quantity for line in order.lines]
            self.answered[key] = [Grant(f"R-{len(self.answered)}-{n}", q) for n, q in enumerate(given)]
        return self.answered[key]

    async def shelves(self, item_sku: str, warehouse: str) -> list[Shelf]:
        return list(self.shelved.get(item_sku, []))

    async def issue(self, key: str, order: SalesOrder, issue: Issue) -> str:
        self.issued.setdefault(key, issue)
        return f"M-{list(self.issued).index(key)}"


@dataclass
class FakeReleases:
    """The releases a handler asked for, as (order number, line, reservation, quantity)."""

    sent: list[tuple[str, int, str, Decimal]] = field(default_factory=list)

    async def release(self, uow: object, order: SalesOrder, line: OrderLine) -> None:
        self.sent.extend((order.number, line.line, r.reservation_id, r.open) for r in line.reservations)

    async def give_back(
        self, uow: object, order: SalesOrder, line: int, reservation_id: str, quantity: Decimal, cause: str
    ) -> None:
        self.sent.append((order.number, line, reservation_id, quantity))


@dataclass
class FakeBackorders:
    """The asks for backordered lines a handler recorded, as (order number, line, quantity, cause)."""

    asked: list[tuple[str, int, Decimal, str]] = field(default_factory=list)

    async def ask(self, uow: object, order: SalesOrder, line: OrderLine, quantity: Decimal, cause: str) -> None:
        self.asked.append((order.number, line.line, quantity, cause))


async def confirm(
    orders: FakeService[FakeOrdersRepository],
    releases: FakeReleases,
    promised: handlers.Promised,
    backorders: FakeBackorders | None = None,
) -> SalesOrder:
    """Stock's promise recorded as the dispatcher records a confirmation: in a batch of its
    own, as whoever acts now; its refusal raised."""
    asks = backorders or FakeBackorders()
    [outcome] = await orders.run(
        partial(handlers.confirm_sales_orders, releases, asks), [Call(promised, identity.current.get())]
    )
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome
