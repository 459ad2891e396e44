"""What the quality service's handlers need from the outside, as abstract ports."""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from invariant_core.db import Recorder
from invariant_core.paging import PageQuery
from invariant_kernel.units import ItemView
from quality.domain.lots import InspectionLot, LotState
from quality.domain.plans import InspectionPlan, PlanState


class QualityRepository(Protocol):
    async def plan(self, plan_id: str, lock: bool = False) -> InspectionPlan | None: ...
    async def plans_of(self, item_sku: str) -> list[InspectionPlan]:
        """Every version of every plan of the item (each supplier's and the item's own)."""
        ...

    async def list_plans(self, item_sku: str, state: PlanState | None, page: PageQuery) -> list[InspectionPlan]:
        """By (item, supplier, version)."""
        ...

    async def add_plan(self, plan: InspectionPlan) -> None: ...
    async def save_plan(self, plan: InspectionPlan) -> None:
        """A draft's characteristics and sampling, a plan's state and its times."""
        ...

    async def lot(self, lot_id: str, lock: bool = False) -> InspectionLot | None: ...
    async def lot_of_movement(self, movement_id: str) -> InspectionLot | None: ...
    async def list_lots(
        self, state: LotState | None, item_sku: str, supplier: str, page: PageQuery
    ) -> list[InspectionLot]:
        """By (opened_at, id)."""
        ...

    async def add_lot(self, lot: InspectionLot) -> None: ...
    async def save_lot(self, lot: InspectionLot) -> None:
        """The results and the decision it gained, and its hold's outcome."""
        ...


# The repository outside a transaction, for queries and what a command reads before its own.
Reading = Callable[[], AbstractAsyncContextManager[QualityRepository]]


class Items(Protocol):
    """The catalog's items, asked outside any transaction."""

    async def view(self, sku: str, field: str) -> ItemView:
        """The item; refused with NOT_FOUND naming `field` when the catalog has none."""
        ...


class Stock(Protocol):
    """The stock service, asked outside any transaction."""

    async def places(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those of the (warehouse, location) keys that exist."""
        ...


class Holds(Protocol):
    """Holds by hand, asked of stock once the transaction that opened their lot commits;
    stock's answer is booked on the lot (`handlers.hold_answered`)."""

    async def hold(self, uow: Recorder, lot: InspectionLot) -> None: ...
