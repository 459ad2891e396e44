"""What the orders service's handlers need from the outside, as abstract ports."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from invariant_core.db import Recorder
from invariant_core.paging import PageQuery
from invariant_kernel.units import ItemView
from orders.domain.partners import Customer, Supplier
from orders.domain.picking import Shelf
from orders.domain.returns import CustomerReturn
from orders.domain.sales import Grant, Issue, OrderLine, SalesOrder, SalesOrderState
from orders.domain.work_orders import Component, PostingKind, WorkOrder, WorkOrderState
from orders.service.purchasing_ports import PurchasingRepository


@dataclass(frozen=True)
class ProductionFacts:
    """What orders keeps of the catalog's item for production: its standard cost per base unit
    (None when the catalog has none) and whether its output is inspected before use."""

    standard_cost: Decimal | None
    inspect_on_production: bool


class WorkOrdersRepository(Protocol):
    async def next_number(self, kind: str) -> int: ...
    async def work_order(self, number: str, lock: bool = False) -> WorkOrder | None: ...
    async def work_order_by_id(self, order_id: str, lock: bool = False) -> WorkOrder | None: ...
    async def work_orders(self, numbers: Sequence[str]) -> list[WorkOrder]: ...
    async def list_work_orders(self, state: WorkOrderState | None, page: PageQuery) -> list[WorkOrder]: ...
    async def add_work_order(self, order: WorkOrder) -> None: ...
    async def save_work_order(self, order: WorkOrder) -> None: ...
    async def issue_tolerances(self, skus: Collection[str]) -> dict[str, Decimal]: ...
    async def set_issue_tolerance(self, sku: str, percent: Decimal) -> None: ...
    async def production_facts(self, skus: Collection[str]) -> dict[str, ProductionFacts]: ...
    async def claimed(self, order_id: str, since: datetime) -> dict[str, Decimal]:
        """Per component, what issues under way claimed of the order since `since`."""
        ...

    async def has_claim(self, key: str) -> bool: ...
    async def add_claim(self, order_id: str, key: str, quantities: Mapping[str, Decimal], now: datetime) -> None: ...
    async def drop_claim(self, key: str) -> None: ...


class OrdersRepository(WorkOrdersRepository, PurchasingRepository, Protocol):
    async def customer(self, code: str) -> Customer | None: ...
    async def add_customer(self, customer: Customer) -> None: ...
    async def customers(self, page: PageQuery) -> list[Customer]: ...
    async def supplier(self, code: str) -> Supplier | None: ...
    async def add_supplier(self, supplier: Supplier) -> None: ...
    async def suppliers(self, page: PageQuery) -> list[Supplier]: ...
    async def sales_order(self, number: str, lock: bool = False) -> SalesOrder | None: ...
    async def sales_order_by_id(self, order_id: str, lock: bool = False) -> SalesOrder | None: ...
    async def order_to_promise(self, number: str) -> SalesOrder | None:
        """The order and its lines, without what they hold, picked or went through: what
        confirming asks stock for, read before the transaction that records the answer."""

    async def sales_orders(self, numbers: Sequence[str], lock: bool = False) -> list[SalesOrder]: ...
    async def list_sales_orders(
        self, customer: str, state: SalesOrderState | None, page: PageQuery
    ) -> list[SalesOrder]: ...
    async def add_sales_order(self, order: SalesOrder) -> None: ...
    async def save_sales_order(self, order: SalesOrder) -> None: ...
    async def save_sales_orders(self, orders: Sequence[SalesOrder]) -> None: ...
    async def backordered_orders(self, item_sku: str, warehouse: str) -> list[SalesOrder]:
        """The open orders with a line of the item at the warehouse waiting for stock, locked
        in id order."""
        ...

    async def waits_for(self, item_sku: str, warehouse: str) -> bool:
        """Whether an open order's line waits for the item at the warehouse."""
        ...

    async def orders_holding(self, reservation_ids: Collection[str]) -> list[SalesOrder]:
        """The orders a line of which holds one of the reservations, locked in id order."""
        ...

    async def add_return(self, rma: CustomerReturn) -> None: ...
    async def customer_returns(self, numbers: Sequence[str]) -> list[CustomerReturn]: ...
    async def list_customer_returns(self, order_number: str, page: PageQuery) -> list[CustomerReturn]:
        """In the order they were entered, by (created_at, number)."""

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


# work orders


WorkReading = Callable[[], AbstractAsyncContextManager[WorkOrdersRepository]]
# The repository in a short transaction of its own, committed when the block ends: for what
# a command must hold before it asks another service (an issue's claim on the allowance).
WorkWriting = Callable[[], AbstractAsyncContextManager[WorkOrdersRepository]]


@dataclass(frozen=True)
class ExplodedComponent:
    """A direct component of the exploded item: for the whole quantity, in its base unit, scrap included."""

    item_sku: str
    base_unit: str
    quantity: Decimal
    has_bom: bool


@dataclass(frozen=True)
class Explosion:
    bom_id: str
    bom_version: int
    components: tuple[ExplodedComponent, ...]


class Boms(Protocol):
    """The catalog's BOMs, asked outside any transaction."""

    async def explode(self, sku: str, quantity: Decimal, on: date) -> Explosion:
        """The BOM version of `sku` in effect `on`, exploded for `quantity` base units; refused
        NOT_FOUND (field item_sku) when none is in effect."""
        ...


@dataclass(frozen=True)
class StockPosting:
    """One movement asked of stock for a work order: an ISSUE from AVAILABLE (from REJECTED,
    with reason REWORK, for a `rework`), a RECEIPT into AVAILABLE or QC_HOLD (`on_hold`:
    components coming back, finished goods), or an issue against `reservation_id`."""

    kind: PostingKind
    item_sku: str
    quantity: Decimal
    warehouse: str
    location: str
    lot: str
    number: str
    reservation_id: str = ""
    on_hold: bool = False
    rework: bool = False


class WorkStock(Protocol):
    """The stock service as work orders ask it, outside any transaction; the same key is answered once."""

    async def warehouses(self, codes: Collection[str]) -> set[str]: ...

    async def reserve_components(
        self, key: str, order: WorkOrder, components: Sequence[ExplodedComponent]
    ) -> dict[str, tuple[str, Decimal]]:
        """Reserve each component under the PARTIAL policy, owned by the order: component →
        (reservation id, quantity granted)."""
        ...

    async def locations(self, warehouse: str, codes: Collection[str]) -> set[str]:
        """Those of `codes` that are locations of the warehouse."""
        ...

    async def on_shelf(self, places: Sequence[tuple[str, str, str, str]], fields: Sequence[str]) -> list[Decimal]:
        """AVAILABLE stock of each (item, warehouse, location, lot) now, in order; a place stock
        refuses (a malformed code) is refused naming its field (`fields[i].location`)."""
        ...

    async def post(self, key: str, posting: StockPosting, field: str) -> str:
        """Post the movement; its id. A refusal names `field`'s parts (`field.quantity`, …)."""
        ...


class WorkReleases(Protocol):
    """Component reservations given back once the transaction that closed the order commits."""

    async def release(self, uow: Recorder, order: WorkOrder, component: Component) -> None: ...
