"""Plans and lots as the quality tests build them, the fakes of the service's ports, and the
handlers' tests' common steps."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from invariant_core.db import Recorder
from invariant_core.paging import PageQuery
from invariant_core.testing import ConstraintViolation, FakeService, paged
from invariant_kernel.errors import not_found
from invariant_kernel.units import ItemView
from quality.domain import commands
from quality.domain.figures import DecidedLot, NcrRecord
from quality.domain.genealogy import Genealogy, Receipt, Shipment, StockLot, SupplierLot, WorkOrderMovement
from quality.domain.lots import DocumentRef, DocumentType, InspectionLot, LotState, Place
from quality.domain.nonconformance import NcrState, NonConformance, StockRequest, defects_found
from quality.domain.plans import Attribute, InspectionPlan, Measured, PlanState, Sampling
from quality.service import handlers
from quality.service.ports import LotFact, ReworkIssue

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
SKU = "BOLT-M8"
SUPPLIER = "SUP-ACME"
AQL_2_5 = commands.SamplingInput(handlers.AQL, level="II", aql="2.5")
FINISH = commands.CharacteristicInput("FINISH", "Surface finish", handlers.ATTRIBUTE, defect_codes=("RUST",))
DIA = commands.CharacteristicInput(
    "DIA", "Shank diameter", handlers.MEASURED, nominal="8.00", lower="7.90", upper="8.05", unit="MM"
)


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
        self.costs: dict[str, Decimal | None] = {}
        self.ncrs: dict[str, NonConformance] = {}
        self.facts: dict[str, LotFact] = {}
        self.reworks: dict[str, ReworkIssue] = {}

    async def plan(self, plan_id: str, lock: bool = False) -> InspectionPlan | None:
        return self.plans.get(plan_id)

    async def plans_of(self, item_sku: str) -> list[InspectionPlan]:
        return [plan for plan in self.plans.values() if plan.item_sku == item_sku]

    async def plans_of_items(self, item_skus: Iterable[str]) -> dict[str, list[InspectionPlan]]:
        return {sku: found for sku in set(item_skus) if (found := await self.plans_of(sku))}

    async def list_plans(self, item_sku: str, state: PlanState | None, page: PageQuery) -> list[InspectionPlan]:
        found = [
            p for p in self.plans.values() if (not item_sku or p.item_sku == item_sku) and state in (None, p.state)
        ]
        return paged(found, lambda p: (p.item_sku, p.supplier, p.version), page)

    async def next_plan_version(self, item_sku: str, supplier: str) -> int:
        versions = [p.version for p in self.plans.values() if (p.item_sku, p.supplier) == (item_sku, supplier)]
        return max(versions, default=0) + 1

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

    async def movements_with_lots(self, movement_ids: Sequence[str]) -> list[str]:
        return [lot.movement_id for lot in self.lots.values() if lot.movement_id in movement_ids]

    async def list_lots(
        self, state: LotState | None, item_sku: str, supplier: str, page: PageQuery
    ) -> list[InspectionLot]:
        found = [
            lot
            for lot in self.lots.values()
            if state in (None, lot.state) and item_sku in ("", lot.item_sku) and supplier in ("", lot.supplier)
        ]
        return paged(found, lambda lot: (lot.opened_at, lot.id), page)

    async def add_lots(self, lots: Sequence[InspectionLot]) -> None:
        for lot in lots:
            if lot.movement_id and await self.movements_with_lots([lot.movement_id]):
                raise ConstraintViolation(lot.movement_id)
            self.lots[lot.id] = lot

    async def save_lot(self, lot: InspectionLot) -> None:
        self.lots[lot.id] = lot

    async def cost_decision(self, decision_id: str, standard_cost: Decimal | None) -> None:
        self.costs[decision_id] = standard_cost

    async def nonconformance(self, ncr_id: str, lock: bool = False) -> NonConformance | None:
        return self.ncrs.get(ncr_id)

    async def nonconformance_of_decision(self, decision_id: str, lock: bool = False) -> NonConformance | None:
        return next((ncr for ncr in self.ncrs.values() if ncr.decision_id == decision_id), None)

    async def list_nonconformances(
        self, state: NcrState | None, supplier: str, item_sku: str, page: PageQuery
    ) -> list[NonConformance]:
        found = [
            ncr
            for ncr in self.ncrs.values()
            if state in (None, ncr.state) and supplier in ("", ncr.supplier) and item_sku in ("", ncr.item_sku)
        ]
        return paged(found, lambda ncr: (ncr.opened_at, ncr.id), page)

    async def add_nonconformance(self, ncr: NonConformance) -> None:
        if await self.nonconformance_of_decision(ncr.decision_id) is not None:
            raise ConstraintViolation(ncr.decision_id)
        self.ncrs[ncr.id] = ncr

    async def save_nonconformance(self, ncr: NonConformance) -> None:
        self.ncrs[ncr.id] = ncr

    async def rework_ordered(self, work_order: str, ncr_id: str, disposition_id: str) -> ReworkIssue:
        kept = self.reworks.get(work_order, ReworkIssue(work_order, "", "", Decimal(0), "", ""))
        self.reworks[work_order] = dataclasses.replace(kept, ncr_id=ncr_id, disposition_id=disposition_id)
        return self.reworks[work_order]

    async def rework_issued(self, work_order: str, quantity: Decimal, movement_id: str, actor: str) -> ReworkIssue:
        kept = self.reworks.get(work_order, ReworkIssue(work_order, "", "", Decimal(0), "", ""))
        self.reworks[work_order] = dataclasses.replace(
            kept, issued=kept.issued + quantity, movement_id=movement_id, actor=actor
        )
        return self.reworks[work_order]

    async def add_lot_facts(self, facts: Sequence[LotFact]) -> None:
        for fact in facts:
            self.facts.setdefault(fact.fact_id, fact)

    async def genealogy(self, start: StockLot | SupplierLot, forward: bool) -> Genealogy:
        """Every fact kept: more than a trace reaches, which the port allows."""
        facts = list(self.facts.values())
        return Genealogy(
            [
                Receipt(
                    SupplierLot(f.supplier, f.supplier_lot or f.lot, f.item_sku),
                    StockLot(f.item_sku, f.lot),
                    f.document_id,
                    f.document_line,
                    f.quantity,
                )
                for f in facts
                if f.kind == "RECEIPT"
            ],
            [
                WorkOrderMovement(f.document_id, StockLot(f.item_sku, f.lot), f.quantity)
                for f in facts
                if f.kind == "WORK_ORDER"
            ],
            [
                Shipment(StockLot(f.item_sku, f.lot), f.document_id, f.customer, f.quantity)
                for f in facts
                if f.kind == "SHIPMENT"
            ],
        )

    async def decided_lots(self, since: datetime, until: datetime) -> tuple[list[DecidedLot], list[NcrRecord]]:
        """Every decided lot and every NCR: figures keep the rows of the span."""
        decided = [
            DecidedLot(
                lot.id,
                lot.item_sku,
                lot.place.lot,
                lot.supplier,
                lot.document.id if lot.document.type == "WORK_ORDER" else "",
                lot.opened_by if lot.document.type == "WORK_ORDER" else "",
                lot.decision.accepted,
                lot.decision.rejected,
                defects_found(lot.results),
                self.costs.get(lot.decision.id) or Decimal(0),
                lot.decision.at,
            )
            for lot in self.lots.values()
            if lot.decision is not None
        ]
        ncrs = [NcrRecord(n.id, n.inspection_lot_id, n.opened_at, n.closed_at) for n in self.ncrs.values()]
        return decided, ncrs


class FakeItems:
    """The catalog with the items it was given, in EA."""

    def __init__(self, *skus: str) -> None:
        self.skus = set(skus)

    async def view(self, sku: str, field: str) -> ItemView:
        code = sku.strip().upper()
        if code not in self.skus:
            raise not_found("item", code, field)
        return ItemView(code, "EA", {}, False)


class FakeDispositions:
    """What dispositions asked of stock, as the outgoing commands would record them."""

    def __init__(self) -> None:
        self.asked: list[StockRequest] = []

    async def send(self, uow: Recorder, request: StockRequest) -> None:
        self.asked.append(request)


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


async def activated(quality: FakeService[FakeQualityRepository], supplier: str = "") -> str:
    cmd = commands.DraftPlan(SKU, supplier, (FINISH, DIA), AQL_2_5)
    drafted = await quality.run(handlers.draft_plan, await handlers.prepare_draft(FakeItems(SKU), cmd))
    await quality.run(handlers.activate_plan, commands.ActivatePlan(drafted.id))
    return drafted.id


def received(quantity: str = "100", movement_id: str = "mov-1", **changes: str) -> commands.HeldMovement:
    given = {
        "movement_id": movement_id,
        "movement_type": "RECEIPT",
        "item_sku": SKU,
        "quantity": quantity,
        "warehouse": "WH1",
        "location": "A-01",
        "lot": "L-7",
        "status": "QC_HOLD",
        "document_type": "PURCHASE_ORDER",
        "document_id": "PO-1",
        "document_line": "2",
        "actor": "dock",
    }
    return commands.HeldMovement(**(given | changes))


async def opened(quality: FakeService[FakeQualityRepository], *movements: commands.HeldMovement) -> list[InspectionLot]:
    return await quality.run(handlers.open_lots, list(movements))
