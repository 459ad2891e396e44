"""Purchasing's ports in memory, for the handlers' unit tests.

FakePurchasingRepository answers as SqlPurchasing (orders.adapters.purchasing_repository)
does and refuses a second open suggestion for a place, as the tables' unique index does.
Orders are copied in and out: a handler's change is stored only when it saves it.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal

from invariant_core.paging import PageQuery
from invariant_core.testing import ConstraintViolation, paged
from invariant_kernel.errors import not_found
from invariant_kernel.units import ItemView
from orders.domain.partners import Supplier, SupplierItem
from orders.domain.purchasing import OPEN_STATES, PurchaseOrder, PurchaseOrderState
from orders.domain.suggestions import Source, Suggestion, SuggestionState

NOW = datetime(2026, 12, 1, 9, 0)


class FakePurchasingRepository:
    def __init__(self) -> None:
        self.supplier_rows: dict[str, Supplier] = {}
        self.numbers: dict[str, int] = {}
        self.orders: dict[str, PurchaseOrder] = {}
        self.suggestions: dict[str, Suggestion] = {}
        self.inspected: set[str] = set()

    def add_supplier(self, code: str, *items: tuple[str, Decimal | None, int]) -> None:
        supplied = tuple(SupplierItem(sku, pack, lead) for sku, pack, lead in items)
        self.supplier_rows[code] = Supplier(code.lower(), code, code, NOW, supplied)

    async def supplier(self, code: str) -> Supplier | None:
        return self.supplier_rows.get(code)

    async def next_number(self, kind: str) -> int:
        self.numbers[kind] = self.numbers.get(kind, 0) + 1
        return self.numbers[kind]

    async def purchase_order(self, number: str, lock: bool = False) -> PurchaseOrder | None:
        return copy.deepcopy(self.orders.get(number))

    async def purchase_orders(self, numbers: Sequence[str]) -> list[PurchaseOrder]:
        return [copy.deepcopy(self.orders[n]) for n in numbers if n in self.orders]

    async def list_purchase_orders(
        self, supplier: str, state: PurchaseOrderState | None, page: PageQuery
    ) -> list[PurchaseOrder]:
        rows = [o for o in self.orders.values() if supplier in ("", o.supplier) and state in (None, o.state)]
        return paged(rows, lambda o: (o.created_at, o.number), page)

    async def add_purchase_order(self, order: PurchaseOrder) -> None:
        if order.number in self.orders:
            raise ConstraintViolation(f"purchase order {order.number} exists")
        self.orders[order.number] = copy.deepcopy(order)

    async def save_purchase_order(self, order: PurchaseOrder) -> None:
        self.orders[order.number] = copy.deepcopy(order)

    async def on_order(self, sku: str, warehouse: str) -> Decimal:
        return sum(
            (
                line.open_quantity
                for order in self.orders.values()
                if order.state in OPEN_STATES
                for line in order.lines
                if (line.item_sku, line.warehouse) == (sku, warehouse)
            ),
            Decimal(0),
        )

    async def inspected_on_receipt(self, skus: Collection[str]) -> set[str]:
        return self.inspected & set(skus)

    async def source(self, sku: str) -> Source | None:
        offers = sorted(
            (i.lead_time_days, s.code, i.pack_size)
            for s in self.supplier_rows.values()
            for i in s.items
            if i.item_sku == sku
        )
        return Source(offers[0][1], offers[0][2]) if offers else None

    async def open_suggestion(self, sku: str, warehouse: str) -> Suggestion | None:
        return next(
            (
                copy.deepcopy(s)
                for s in self.suggestions.values()
                if (s.item_sku, s.warehouse, s.state) == (sku, warehouse, SuggestionState.OPEN)
            ),
            None,
        )

    async def suggestion(self, id: str, lock: bool = False) -> Suggestion | None:
        return copy.deepcopy(self.suggestions.get(id))

    async def suggestions_by_id(self, ids: Sequence[str]) -> list[Suggestion]:
        return [copy.deepcopy(self.suggestions[id]) for id in ids if id in self.suggestions]

    async def list_suggestions(
        self, state: SuggestionState | None, warehouse: str, supplier: str, page: PageQuery
    ) -> list[Suggestion]:
        rows = [
            s
            for s in self.suggestions.values()
            if state in (None, s.state) and warehouse in ("", s.warehouse) and supplier in ("", s.supplier)
        ]
        return paged(rows, lambda s: (s.created_at, s.id), page)

    async def add_suggestion(self, suggestion: Suggestion) -> None:
        if await self.open_suggestion(suggestion.item_sku, suggestion.warehouse) is not None:
            raise ConstraintViolation(f"an open suggestion for {suggestion.item_sku} exists")
        self.suggestions[suggestion.id] = copy.deepcopy(suggestion)

    async def save_suggestion(self, suggestion: Suggestion) -> None:
        self.suggestions[suggestion.id] = copy.deepcopy(suggestion)


class FakeItems:
    """The catalog's items: EA items with boxes of 12."""

    def __init__(self, *lot_tracked: str) -> None:
        self.lot_tracked = set(lot_tracked)

    async def views(self, fields: Mapping[str, str]) -> dict[str, ItemView]:
        found = {}
        for sku, field in fields.items():
            code = sku.strip().upper()
            if code.startswith("NOPE"):
                raise not_found("item", code, field)
            found[code] = ItemView(code, "EA", {"BOX": Decimal(12)}, code in self.lot_tracked)
        return found

    async def sku_of_barcode(self, barcode: str, field: str) -> str:
        raise not_found("barcode", barcode, field)


class FakeReceiving:
    """Stock as a receipt asks it: the warehouses and locations it knows, and what was
    posted under each key, once."""

    def __init__(self, *locations: tuple[str, str]) -> None:
        self.known = set(locations)
        self.lots: dict[tuple[str, str], date | None] = {}
        self.posted: dict[str, tuple[str, int, Decimal, tuple[str, str, str, str]]] = {}

    async def warehouses(self, codes: Collection[str]) -> set[str]:
        return {w for w, _ in self.known} & set(codes)

    async def places(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        return self.known & set(keys)

    async def create_lot(self, key: str, sku: str, lot: str, expiry: date | None) -> None:
        self.lots.setdefault((sku, lot), expiry)

    async def post_receipt(
        self,
        key: str,
        order: PurchaseOrder,
        line: int,
        quantity: Decimal,
        place: tuple[str, str, str, str],
        supplier_lot: str,
    ) -> str:
        self.posted.setdefault(key, (order.number, line, quantity, place))
        return f"M-{list(self.posted).index(key) + 1}"


@asynccontextmanager
async def reading_of(repo: FakePurchasingRepository) -> AsyncIterator[FakePurchasingRepository]:
    yield repo
