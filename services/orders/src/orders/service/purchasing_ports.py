"""What the purchasing handlers need from the outside, as abstract ports."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date
from decimal import Decimal
from typing import Protocol

from invariant_core.paging import PageQuery
from orders.domain.partners import Supplier
from orders.domain.purchasing import PurchaseOrder, PurchaseOrderState
from orders.domain.suggestions import PlaceFigures, Source, Suggestion, SuggestionState


class PurchasingRepository(Protocol):
    async def supplier(self, code: str) -> Supplier | None: ...
    async def next_number(self, kind: str) -> int: ...
    async def purchase_order(self, number: str, lock: bool = False) -> PurchaseOrder | None: ...
    async def purchase_orders(self, numbers: Sequence[str]) -> list[PurchaseOrder]: ...
    async def list_purchase_orders(
        self, supplier: str, state: PurchaseOrderState | None, page: PageQuery
    ) -> list[PurchaseOrder]: ...
    async def add_purchase_order(self, order: PurchaseOrder) -> None: ...
    async def save_purchase_order(self, order: PurchaseOrder) -> None: ...
    async def on_order(self, sku: str, warehouse: str) -> Decimal:
        """What SENT and PARTLY_RECEIVED orders still bring of the item to the warehouse."""
        ...

    async def inspected_on_receipt(self, skus: Collection[str]) -> set[str]:
        """Those of the items (kept in the replica) that the catalog has inspected on receipt."""
        ...

    async def source(self, sku: str) -> Source | None:
        """The supplier of the item with the shortest lead time (then the first by code)."""
        ...

    async def open_suggestion(self, sku: str, warehouse: str) -> Suggestion | None: ...
    async def suggestion(self, id: str, lock: bool = False) -> Suggestion | None: ...
    async def suggestions_by_id(self, ids: Sequence[str]) -> list[Suggestion]: ...
    async def list_suggestions(
        self, state: SuggestionState | None, warehouse: str, supplier: str, page: PageQuery
    ) -> list[Suggestion]: ...
    async def add_suggestion(self, suggestion: Suggestion) -> None: ...
    async def save_suggestion(self, suggestion: Suggestion) -> None: ...


# The repository outside a transaction, for what a command reads before its own.
PurchasingReading = Callable[[], AbstractAsyncContextManager[PurchasingRepository]]


class Receiving(Protocol):
    """The stock service as a receipt asks it, outside any transaction."""

    async def warehouses(self, codes: Collection[str]) -> set[str]:
        """Those of `codes` that are warehouses."""
        ...

    async def places(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those of the (warehouse, location) keys that exist."""
        ...

    async def create_lot(self, key: str, sku: str, lot: str, expiry: date | None) -> None:
        """The lot known to stock with its expiry date; a lot known already is left as it is."""
        ...

    async def post_receipt(
        self,
        key: str,
        order: PurchaseOrder,
        line: int,
        quantity: Decimal,
        place: tuple[str, str, str, str],
        supplier_lot: str,
    ) -> str:
        """Post a RECEIPT of `quantity` (base unit) of the line's item to (warehouse,
        location, lot, status), naming the order and line, its supplier and the supplier's
        lot number; the movement's id. The same key is posted once."""
        ...


class Places(Protocol):
    """A place's available to promise (from stock) and thresholds (from the catalog), asked
    outside any transaction."""

    async def figures(self, sku: str, warehouse: str) -> tuple[PlaceFigures, str]:
        """The figures and the item's base unit."""
        ...
