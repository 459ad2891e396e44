"""Plans and lots as the quality tests build them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal

from invariant_core.db import Recorder
from invariant_core.paging import PageQuery
from invariant_core.testing import ConstraintViolation, paged
from invariant_kernel.errors import not_found
from invariant_kernel.units import ItemView
from quality.domain.lots import DocumentRef, DocumentType, InspectionLot, LotState, Place
from quality.domain.plans import Attribute, InspectionPlan, Measured, PlanState, Sampling

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
SKU = "BOLT-M8"
SUPPLIER = "SUP-ACME"


def diameter() -> Measured:
    return Measured.of("DIA", "Shank diameter", "8.00", "7.90", "8.05", "mm")


def finish() -> Attribute:
    return Attribute.of("FINISH", "Surface finish", ["SCRATCH", "RUST"])


def active_plan(sampling: Sampling, *, version: int = 1, supplier: str = "", plan_id: str = "") -> InspectionPlan:
    plan = InspectionPlan.new_draft(
        id=plan_id or f"plan-{supplier or 'any'}-{version}",
        item_sku=SKU,
        supplier=supplier,
        version=version,
        characteristics=[diameter(), finish()],
        sampling=sampling,
        actor="qe",
        now=NOW,
    )
    plan.activate(None, NOW)
    return plan


def open_lot(plan: InspectionPlan, quantity: str = "100") -> InspectionLot:
    return InspectionLot.open(
        id="IL-1",
        movement_id="mov-1",
        item_sku=SKU,
        place=Place("MAIN", "RECV-QC", "L-2026-12"),
        quantity=Decimal(quantity),
        document=DocumentRef(DocumentType.PURCHASE_ORDER, "PO-000042", "3"),
        supplier=SUPPLIER,
        supplier_lot="ACME-7781",
        plan=plan,
        now=NOW,
    )


class FakeQualityRepository:
    """The repository's port in memory, as SqlQualityRepository keeps it."""

    def __init__(self) -> None:
        self.plans: dict[str, InspectionPlan] = {}
        self.lots: dict[str, InspectionLot] = {}

    async def plan(self, plan_id: str, lock: bool = False) -> InspectionPlan | None:
        return self.plans.get(plan_id)

    async def plans_of(self, item_sku: str) -> list[InspectionPlan]:
        return [plan for plan in self.plans.values() if plan.item_sku == item_sku]

    async def list_plans(self, item_sku: str, state: PlanState | None, page: PageQuery) -> list[InspectionPlan]:
        found = [
            p for p in self.plans.values() if (not item_sku or p.item_sku == item_sku) and state in (None, p.state)
        ]
        return paged(found, lambda p: (p.item_sku, p.supplier, p.version), page)

    async def add_plan(self, plan: InspectionPlan) -> None:
        if plan.id in self.plans or any(
            (p.item_sku, p.supplier, p.version) == (plan.item_sku, plan.supplier, plan.version)
            for p in self.plans.values()
        ):
            raise ConstraintViolation(plan.id)
        self.plans[plan.id] = plan

    async def save_plan(self, plan: InspectionPlan) -> None:
        self.plans[plan.id] = plan

    async def lot(self, lot_id: str, lock: bool = False) -> InspectionLot | None:
        return self.lots.get(lot_id)

    async def lot_of_movement(self, movement_id: str) -> InspectionLot | None:
        return next((lot for lot in self.lots.values() if lot.movement_id == movement_id), None)

    async def list_lots(
        self, state: LotState | None, item_sku: str, supplier: str, page: PageQuery
    ) -> list[InspectionLot]:
        found = [
            lot
            for lot in self.lots.values()
            if state in (None, lot.state) and item_sku in ("", lot.item_sku) and supplier in ("", lot.supplier)
        ]
        return paged(found, lambda lot: (lot.opened_at, lot.id), page)

    async def add_lot(self, lot: InspectionLot) -> None:
        if lot.movement_id and await self.lot_of_movement(lot.movement_id) is not None:
            raise ConstraintViolation(lot.movement_id)
        self.lots[lot.id] = lot

    async def save_lot(self, lot: InspectionLot) -> None:
        self.lots[lot.id] = lot


class FakeItems:
    """The catalog with the items it was given, in EA."""

    def __init__(self, *skus: str) -> None:
        self.skus = set(skus)

    async def view(self, sku: str, field: str) -> ItemView:
        code = sku.strip().upper()
        if code not in self.skus:
            raise not_found("item", code, field)
        return ItemView(code, "EA", {}, False)


class FakeStock:
    def __init__(self, *places: tuple[str, str]) -> None:
        self.known = set(places)

    async def places(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        return set(keys) & self.known


class FakeHolds:
    """Holds asked of stock, as the outgoing commands would record them."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def hold(self, uow: Recorder, lot: InspectionLot) -> None:
        self.asked.append(lot.id)
