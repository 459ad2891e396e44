"""What the orders service's handlers need from the outside, as abstract ports."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from invariant_core.db import Recorder
from invariant_core.paging import PageQuery
from invariant_kernel.units import ItemView
from orders.domain.partners import Customer, Supplier
from orders.domain.sales import Grant, OrderLine, SalesOrder, SalesOrderState
from orders.service.purchasing_ports import PurchasingRepository


class OrdersRepository(PurchasingRepository, Protocol):
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


class Releases(Protocol):
    """Reservations to give back once the transaction that decided it commits."""

    async def release(self, uow: Recorder, order: SalesOrder, line: OrderLine) -> None: ...
