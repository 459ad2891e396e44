"""What the quality service's handlers need from the outside, as abstract ports."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from invariant_core.db import Recorder
from invariant_core.paging import PageQuery
from invariant_kernel.units import ItemView
from quality.domain.figures import DecidedLot, NcrRecord
from quality.domain.genealogy import Genealogy, StockLot, SupplierLot
from quality.domain.lots import InspectionLot, LotState, Place
from quality.domain.nonconformance import NcrState, NonConformance, StockRequest
from quality.domain.plans import InspectionPlan, PlanState


@dataclass(frozen=True)
class LotFact:
    """What one stock movement or one shipped line says of a lot, as the genealogy keeps it."""

    # The movement's id, or the shipment's line: each fact is kept once.
    fact_id: str
    # RECEIPT (from a supplier), WORK_ORDER (issued to one: negative; received from one) or SHIPMENT.
    kind: str
    item_sku: str
    lot: str
    quantity: Decimal
    # The purchase order, work order or sales order, and its line.
    document_id: str
    document_line: str
    supplier: str
    supplier_lot: str
    customer: str
    actor: str
    at: datetime


@dataclass(frozen=True)
class ReworkIssue:
    """What quality knows of a rework work order: the disposition it reworks (once orders
    answered), and what stock issued to it (its last movement, and who posted it)."""

    work_order: str
    ncr_id: str
    disposition_id: str
    issued: Decimal
    movement_id: str
    actor: str


class QualityRepository(Protocol):
    async def plan(self, plan_id: str, lock: bool = False) -> InspectionPlan | None: ...
    async def plans_of(self, item_sku: str) -> list[InspectionPlan]:
        """Every version of every plan of the item (each supplier's and the item's own)."""
        ...

    async def plans_of_items(self, item_skus: Iterable[str]) -> dict[str, list[InspectionPlan]]:
        """`plans_of` each item, read together; an item with none has no entry."""
        ...

    async def list_plans(self, item_sku: str, state: PlanState | None, page: PageQuery) -> list[InspectionPlan]:
        """By (item, supplier, version)."""
        ...

    async def next_plan_version(self, item_sku: str, supplier: str) -> int:
        """One above the highest version of the item's plans for `supplier`, once no other
        transaction can number one of them until this one ends."""
        ...

    async def add_plan(self, plan: InspectionPlan) -> None: ...
    async def save_plan(self, plan: InspectionPlan) -> None:
        """A draft's characteristics and sampling, a plan's state and its times."""
        ...

    async def lot(self, lot_id: str, lock: bool = False) -> InspectionLot | None: ...
    async def movements_with_lots(self, movement_ids: Sequence[str]) -> list[str]:
        """Those of the movements that opened a lot already."""
        ...

    async def list_lots(
        self, state: LotState | None, item_sku: str, supplier: str, page: PageQuery
    ) -> list[InspectionLot]:
        """By (opened_at, id)."""
        ...

    async def add_lots(self, lots: Sequence[InspectionLot]) -> None:
        """Lots just opened (no results, no decision yet)."""
        ...

    async def save_lot(self, lot: InspectionLot) -> None:
        """The results and the decision it gained, and its hold's outcome."""
        ...

    async def cost_decision(self, decision_id: str, standard_cost: Decimal | None) -> None:
        """The item's standard cost per base unit when the decision was taken."""
        ...

    async def nonconformance(self, ncr_id: str, lock: bool = False) -> NonConformance | None: ...
    async def nonconformance_of_decision(self, decision_id: str, lock: bool = False) -> NonConformance | None: ...
    async def list_nonconformances(
        self, state: NcrState | None, supplier: str, item_sku: str, page: PageQuery
    ) -> list[NonConformance]:
        """By (opened_at, id)."""
        ...

    async def add_nonconformance(self, ncr: NonConformance) -> None: ...
    async def save_nonconformance(self, ncr: NonConformance) -> None: ...

    async def rework_ordered(self, work_order: str, ncr_id: str, disposition_id: str) -> ReworkIssue:
        """Keep that `work_order` reworks the disposition; what stock issued to it already.
        Whichever of this and `rework_issued` comes second waits for the first to commit."""
        ...

    async def rework_issued(self, work_order: str, quantity: Decimal, movement_id: str, actor: str) -> ReworkIssue:
        """Add what stock's movement issued to `work_order`; the disposition it reworks, if
        orders' answer is kept already."""
        ...

    async def add_lot_facts(self, facts: Sequence[LotFact]) -> None:
        """Keep each fact unless it is kept already."""
        ...

    async def genealogy(self, start: StockLot | SupplierLot, forward: bool) -> Genealogy:
        """At least every fact a trace from `start` (forward, or backward) reaches."""
        ...

    async def decided_lots(self, since: datetime, until: datetime) -> tuple[list[DecidedLot], list[NcrRecord]]:
        """The lots decided in [since, until) and the NCRs opened or closed then (with their lots)."""
        ...


# The repository outside a transaction, for queries and what a command reads before its own.
Reading = Callable[[], AbstractAsyncContextManager[QualityRepository]]


class Items(Protocol):
    """The catalog's items, asked outside any transaction."""

    async def view(self, sku: str, field: str) -> ItemView:
        """The item; refused with NOT_FOUND naming `field` when the catalog has none."""
        ...

    async def standard_cost(self, sku: str) -> Decimal | None:
        """The item's standard cost per base unit, None where the catalog has none."""
        ...


class Stock(Protocol):
    """The stock service, asked outside any transaction."""

    async def places(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those of the (warehouse, location) keys that exist."""
        ...

    async def available(self, lots: Collection[StockLot]) -> list[tuple[str, Place, Decimal]]:
        """(item, place, quantity) of every AVAILABLE balance of the lots, wherever it is."""
        ...


class Holds(Protocol):
    """Holds by hand, asked of stock once the transaction that opened their lot commits;
    stock's answer is booked on the lot (`handlers.hold_answered`)."""

    async def hold(self, uow: Recorder, lot: InspectionLot) -> None: ...


class Dispositions(Protocol):
    """What a disposition asks of stock, sent once the transaction that made it due commits;
    stock's answer is booked on the record (`nonconformance.disposition_answered`)."""

    async def send(self, uow: Recorder, request: StockRequest) -> None: ...
