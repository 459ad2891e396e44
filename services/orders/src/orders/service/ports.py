"""What the orders service's handlers need from the outside, as abstract ports."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from typing import Protocol

from invariant_core.db import Recorder
from invariant_core.paging import PageQuery
from invariant_kernel.units import ItemView
from orders.domain.partners import Customer, Supplier
from orders.domain.picking import Shelf
from orders.domain.returns import CustomerReturn
from orders.domain.sales import Grant, Issue, OrderLine, SalesOrder, SalesOrderState


class OrdersRepository(Protocol):
    async def customer(self, code: str) -> Customer | None: ...
    async def add_customer(self, customer: Customer) -> None: ...
    async def customers(self, page: PageQuery) -> list[Customer]: ...
    async def supplier(self, code: str) -> Supplier | None: ...
    async def add_supplier(self, supplier: Supplier) -> None: ...
    async def suppliers(self, page: PageQuery) -> list[Supplier]: ...
    async def next_number(self, kind: str) -> int: ...
    async def sales_order(self, number: str, lock: bool = False) -> SalesOrder | None: ...
    async def sales_order_by_id(self, order_id: str, lock: bool = False) -> SalesOrder | None: ...
    async def sales_orders(self, numbers: Sequence[str]) -> list[SalesOrder]: ...
    async def list_sales_orders(
        self, customer: str, state: SalesOrderState | None, page: PageQuery
    ) -> list[SalesOrder]: ...
    async def add_sales_order(self, order: SalesOrder) -> None: ...
    async def save_sales_order(self, order: SalesOrder) -> None: ...
    async def backordered_orders(self, item_sku: str, warehouse: str) -> list[SalesOrder]:
        """The open orders with a line of the item at the warehouse waiting for stock, locked
        in id order."""
        ...

    async def orders_holding(self, reservation_ids: Collection[str]) -> list[SalesOrder]:
        """The orders a line of which holds one of the reservations, locked in id order."""
        ...

    async def add_return(self, rma: CustomerReturn) -> None: ...
    async def return_posted(self, rma_id: str, movement_id: str) -> None: ...

    async def unshipped_picks(self, item_sku: str, warehouse: str) -> dict[tuple[str, str], Decimal]:
        """What was picked of the item at the warehouse and not shipped yet, by (location, lot)."""
        ...


# The repository outside a transaction, for what a command reads before its own.
Reading = Callable[[], AbstractAsyncContextManager[OrdersRepository]]


class Items(Protocol):
    """The catalog's items as orders keeps them, read through to the catalog on a miss."""

    async def views(self, fields: Mapping[str, str]) -> dict[str, ItemView]: ...
    async def sku_of_barcode(self, barcode: str, field: str) -> str: ...


class Stock(Protocol):
    """The stock service as orders asks it, outside any transaction."""

    async def warehouses(self, codes: Collection[str]) -> set[str]:
        """Those of `codes` that are warehouses."""
        ...

    async def reserve(self, key: str, order: SalesOrder) -> list[Grant]:
        """Reserve the order's lines by its policy, one grant per line; refused with stock's
        INSUFFICIENT_STOCK (naming the line) when ALL_OR_NOTHING cannot be met. The same key
        with the same order is answered once."""
        ...

    async def shelves(self, item_sku: str, warehouse: str) -> list[Shelf]:
        """The item's AVAILABLE balances at the warehouse's locations (never on the road)."""
        ...

    async def locations(self, warehouse: str, codes: Collection[str]) -> set[str]:
        """Those of `codes` that are locations of the warehouse."""
        ...

    async def issue(self, key: str, order: SalesOrder, issue: Issue) -> str:
        """Issue part of a pick against its reservation, naming the order line; the movement's
        id. The same key is answered once."""
        ...


class Releases(Protocol):
    """Reservations to give back once the transaction that decided it commits."""

    async def release(self, uow: Recorder, order: SalesOrder, line: OrderLine) -> None:
        """Every reservation of the line, in full."""
        ...

    async def give_back(
        self, uow: Recorder, order: SalesOrder, line: int, reservation_id: str, quantity: Decimal, cause: str
    ) -> None:
        """Part of one reservation of the line, because of the event `cause`."""
        ...


class Backorders(Protocol):
    """Asks of stock for a backordered line, sent once the transaction that decided them
    commits; each answer is booked on the line (`fulfilment.backorder_answered`)."""

    async def ask(self, uow: Recorder, order: SalesOrder, line: OrderLine, quantity: Decimal, cause: str) -> None: ...


class Returns(Protocol):
    """Customer returns posted to stock once the transaction that recorded them commits."""

    async def post(self, uow: Recorder, rma: CustomerReturn) -> None: ...
