"""Work orders' ports in memory, for the handlers' unit tests: the repository as the tables
keep it (rows copied in and out), the catalog's items and BOMs, and stock answering each
key once, as its idempotency store does."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from invariant_core.db import Recorder
from invariant_core.paging import PageQuery
from invariant_core.testing import FakeService, paged
from invariant_kernel.errors import DomainError, ErrorCode, not_found
from invariant_kernel.units import ItemView
from orders.domain.work_orders import Component, WorkOrder, WorkOrderState
from orders.service.ports import ExplodedComponent, Explosion, ProductionFacts, StockPosting, WorkOrdersRepository

WAREHOUSE = "WH1"
SHELF = "A-01"


class FakeWorkOrders(WorkOrdersRepository):
    def __init__(self) -> None:
        self.orders: dict[str, WorkOrder] = {}
        self.numbers: dict[str, int] = {}
        self.tolerances: dict[str, Decimal] = {}
        self.facts: dict[str, ProductionFacts] = {}
        # (key, sku) → (order id, quantity, when)
        self.claims: dict[tuple[str, str], tuple[str, Decimal, datetime]] = {}

    async def next_number(self, kind: str) -> int:
        self.numbers[kind] = self.numbers.get(kind, 0) + 1
        return self.numbers[kind]

    async def work_order(self, number: str, lock: bool = False) -> WorkOrder | None:
        return copy.deepcopy(self.orders.get(number))

    async def work_order_by_id(self, order_id: str, lock: bool = False) -> WorkOrder | None:
        return next((copy.deepcopy(o) for o in self.orders.values() if o.id == order_id), None)

    async def work_orders(self, numbers: Sequence[str]) -> list[WorkOrder]:
        return [copy.deepcopy(self.orders[n]) for n in numbers if n in self.orders]

    async def list_work_orders(self, state: WorkOrderState | None, page: PageQuery) -> list[WorkOrder]:
        rows = [o for o in self.orders.values() if state is None or o.state is state]
        return [copy.deepcopy(o) for o in paged(rows, lambda o: (o.number,), page)]

    async def add_work_order(self, order: WorkOrder) -> None:
        assert order.number not in self.orders, "work_orders.number is unique"
        self.orders[order.number] = copy.deepcopy(order)

    async def save_work_order(self, order: WorkOrder) -> None:
        self.orders[order.number] = copy.deepcopy(order)

    async def issue_tolerances(self, skus: Collection[str]) -> dict[str, Decimal]:
        return {sku: self.tolerances[sku] for sku in skus if sku in self.tolerances}

    async def set_issue_tolerance(self, sku: str, percent: Decimal) -> None:
        self.tolerances[sku] = percent

    async def production_facts(self, skus: Collection[str]) -> dict[str, ProductionFacts]:
        return {sku: self.facts[sku] for sku in skus if sku in self.facts}

    async def claimed(self, order_id: str, since: datetime) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for (_, sku), (owner, quantity, at) in self.claims.items():
            if owner == order_id and at >= since:
                totals[sku] = totals.get(sku, Decimal(0)) + quantity
        return totals

    async def has_claim(self, key: str) -> bool:
        return any(k == key for k, _ in self.claims)

    async def add_claim(self, order_id: str, key: str, quantities: Mapping[str, Decimal], now: datetime) -> None:
        for sku, quantity in quantities.items():
            assert (key, sku) not in self.claims, "work_order_claims' key is unique"
            self.claims[(key, sku)] = (order_id, quantity, now)

    async def drop_claim(self, key: str) -> None:
        self.claims = {k: v for k, v in self.claims.items() if k[0] != key}


class FakeItems:
    def __init__(self, *views: ItemView, barcodes: Mapping[str, str] | None = None) -> None:
        self.known = {view.sku: view for view in views}
        self.barcodes = dict(barcodes or {})

    async def views(self, fields: Mapping[str, str]) -> dict[str, ItemView]:
        found = {}
        for sku, where in fields.items():
            code = sku.strip().upper()
            if code not in self.known:
                raise not_found("item", code, where)
            found[code] = self.known[code]
        return found

    async def sku_of_barcode(self, barcode: str, field: str) -> str:
        if barcode not in self.barcodes:
            raise not_found("barcode", barcode, field)
        return self.barcodes[barcode]


@dataclass
class FakeBoms:
    """Per parent: its BOM's id and each direct component per one base unit of the parent."""

    boms: dict[str, tuple[str, list[ExplodedComponent]]] = field(default_factory=dict)
    asked: list[tuple[str, Decimal, date]] = field(default_factory=list)

    async def explode(self, sku: str, quantity: Decimal, on: date) -> Explosion:
        self.asked.append((sku, quantity, on))
        if sku not in self.boms:
            raise DomainError(ErrorCode.NOT_FOUND, f"{sku} has no BOM in effect to explode", "number")
        bom_id, lines = self.boms[sku]
        return Explosion(
            bom_id,
            1,
            tuple(ExplodedComponent(c.item_sku, c.base_unit, c.quantity * quantity, c.has_bom) for c in lines),
        )


@dataclass
class FakeWorkStock:
    """Available stock per (item, location, lot) at WAREHOUSE; reservations hold it apart."""

    shelves: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)
    locations_known: set[str] = field(default_factory=lambda: {SHELF})
    reserved: dict[str, Decimal] = field(default_factory=dict)
    answers: dict[str, object] = field(default_factory=dict)
    posted: list[tuple[str, StockPosting]] = field(default_factory=list)

    async def warehouses(self, codes: Collection[str]) -> set[str]:
        return {WAREHOUSE} & set(codes)

    async def locations(self, warehouse: str, codes: Collection[str]) -> set[str]:
        return self.locations_known & set(codes)

    async def on_shelf(self, places: Sequence[tuple[str, str, str, str]], fields: Sequence[str]) -> list[Decimal]:
        return [self.shelves.get((sku, location, lot), Decimal(0)) for sku, _, location, lot in places]

    async def reserve_components(
        self, key: str, order: WorkOrder, components: Sequence[ExplodedComponent]
    ) -> dict[str, tuple[str, Decimal]]:
        if key not in self.answers:
            grants = {}
            for c in components:
                free = sum((q for (s, _, _), q in self.shelves.items() if s == c.item_sku), Decimal(0))
                granted = min(c.quantity, free - self.reserved.get(c.item_sku, Decimal(0)))
                self.reserved[c.item_sku] = self.reserved.get(c.item_sku, Decimal(0)) + granted
                grants[c.item_sku] = (f"R-{c.item_sku}", granted)
            self.answers[key] = grants
        return self.answers[key]  # type: ignore[return-value]

    async def post(self, key: str, posting: StockPosting, field: str) -> str:
        if key not in self.answers:
            place = (posting.item_sku, posting.location, posting.lot)
            if posting.kind.value == "ISSUE":
                self.shelves[place] = self.shelves.get(place, Decimal(0)) - posting.quantity
                if posting.reservation_id:
                    self.reserved[posting.item_sku] -= posting.quantity
            else:
                self.shelves[place] = self.shelves.get(place, Decimal(0)) + posting.quantity
            self.posted.append((key, posting))
            self.answers[key] = f"M-{len(self.posted)}"
        return str(self.answers[key])


@dataclass
class FakeReleases:
    sent: list[tuple[str, str, Decimal]] = field(default_factory=list)

    async def release(self, uow: Recorder, order: WorkOrder, component: Component) -> None:
        self.sent.append((order.number, component.item_sku, component.still_reserved))


class WorkOrdersService(FakeService[FakeWorkOrders]):
    """The handlers over the fakes, with `reading` for what a command reads before its transaction."""

    def __init__(self) -> None:
        super().__init__(FakeWorkOrders())

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[FakeWorkOrders]:
        yield self.repo

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[FakeWorkOrders]:
        """A short transaction of its own: what the block changed stays unless it raises."""
        before = copy.deepcopy(self.repo)
        try:
            yield self.repo
        except BaseException:
            self.repo = before
            raise
