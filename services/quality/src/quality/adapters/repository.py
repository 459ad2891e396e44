"""The quality service's repository on SQLAlchemy: plans with their characteristics, and
inspection lots with their plan, results and decision."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invariant_core.db import insert_rows
from invariant_core.paging import PageQuery, keyset
from quality.adapters.tables import characteristics, decisions, lots, plans, results
from quality.domain.lots import Decision, DocumentRef, InspectionLot, LotState, Outcome, Place, Result, Verdict
from quality.domain.plans import (
    AqlSampling,
    Attribute,
    Characteristic,
    FixedSample,
    InspectionPlan,
    Measured,
    PlanState,
)
from quality.domain.sampling import InspectionLevel, SamplingPlan

MEASURED = "MEASURED"
ATTRIBUTE = "ATTRIBUTE"


class SqlQualityRepository:
    """Lives as long as its transaction: it remembers how many results of each lot it read,
    and whether their decision was stored, so that a save adds only what is new."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._stored: dict[str, tuple[int, bool]] = {}

    # plans

    async def plan(self, plan_id: str, lock: bool = False) -> InspectionPlan | None:
        query = select(plans).where(plans.c.id == plan_id)
        found = await self._plans(query.with_for_update() if lock else query)
        return found[0] if found else None

    async def plans_of(self, item_sku: str) -> list[InspectionPlan]:
        return await self._plans(select(plans).where(plans.c.item_sku == item_sku))

    async def list_plans(self, item_sku: str, state: PlanState | None, page: PageQuery) -> list[InspectionPlan]:
        query = select(plans)
        if item_sku:
            query = query.where(plans.c.item_sku == item_sku)
        if state is not None:
            query = query.where(plans.c.state == state.value)
        return await self._plans(keyset(query, [plans.c.item_sku, plans.c.supplier, plans.c.version], page))

    async def add_plan(self, plan: InspectionPlan) -> None:
        await self._session.execute(insert(plans).values(id=plan.id, **_plan_values(plan)))
        await self._store_characteristics(plan)

    async def save_plan(self, plan: InspectionPlan) -> None:
        await self._session.execute(update(plans).where(plans.c.id == plan.id).values(**_plan_values(plan)))
        if plan.state is PlanState.DRAFT:
            await self._session.execute(delete(characteristics).where(characteristics.c.plan_id == plan.id))
            await self._store_characteristics(plan)

    async def _store_characteristics(self, plan: InspectionPlan) -> None:
        await insert_rows(
            self._session,
            characteristics,
            [_characteristic_values(plan.id, n, c) for n, c in enumerate(plan.characteristics)],
        )

    async def _plans(self, query: Select[Any]) -> list[InspectionPlan]:
        rows = (await self._session.execute(query)).all()
        if not rows:
            return []
        checked: dict[str, list[Characteristic]] = {row.id: [] for row in rows}
        children = select(characteristics).where(characteristics.c.plan_id.in_(list(checked)))
        for child in await self._session.execute(children.order_by(characteristics.c.plan_id, "position")):
            checked[child.plan_id].append(_characteristic(child))
        return [_plan(row, checked[row.id]) for row in rows]

    # lots

    async def lot(self, lot_id: str, lock: bool = False) -> InspectionLot | None:
        query = select(lots).where(lots.c.id == lot_id)
        found = await self._lots(query.with_for_update() if lock else query)
        return found[0] if found else None

    async def lot_of_movement(self, movement_id: str) -> InspectionLot | None:
        found = await self._lots(select(lots).where(lots.c.movement_id == movement_id))
        return found[0] if found else None

    async def list_lots(
        self, state: LotState | None, item_sku: str, supplier: str, page: PageQuery
    ) -> list[InspectionLot]:
        query = select(lots)
        if state is not None:
            query = query.where(lots.c.state == state.value)
        if item_sku:
            query = query.where(lots.c.item_sku == item_sku)
        if supplier:
            query = query.where(lots.c.supplier == supplier)
        return await self._lots(keyset(query, [lots.c.opened_at, lots.c.id], page))

    async def add_lot(self, lot: InspectionLot) -> None:
        sampling = lot.sampling
        await self._session.execute(
            insert(lots).values(
                id=lot.id,
                item_sku=lot.item_sku,
                warehouse=lot.place.warehouse,
                location=lot.place.location,
                lot=lot.place.lot,
                quantity=lot.quantity,
                document_type=lot.document.type,
                document_id=lot.document.id,
                document_line=lot.document.line,
                supplier=lot.supplier,
                supplier_lot=lot.supplier_lot,
                plan_id=lot.plan.id,
                sample_size=sampling.sample_size,
                accept=sampling.accept,
                reject=sampling.reject,
                every_unit=sampling.every_unit,
                table_letter=sampling.table_letter,
                code_letter=sampling.code_letter,
                opened_by=lot.opened_by,
                opened_at=lot.opened_at,
                reason=lot.reason,
                **_lot_changes(lot),
            )
        )
        self._stored[lot.id] = (0, False)
        await self.save_lot(lot)

    async def save_lot(self, lot: InspectionLot) -> None:
        stored_results, decision_stored = self._stored.get(lot.id, (0, False))
        await self._session.execute(update(lots).where(lots.c.id == lot.id).values(**_lot_changes(lot)))
        new = [
            {
                "lot_id": lot.id,
                "seq": seq,
                "sample": r.sample,
                "characteristic": r.characteristic,
                "conforming": r.conforming,
                "value": r.value,
                "defect_code": r.defect_code,
                "inspector": r.inspector,
                "recorded_at": r.at,
            }
            for seq, r in enumerate(lot.results)
            if seq >= stored_results
        ]
        await insert_rows(self._session, results, new)
        decision = lot.decision
        if decision is not None and not decision_stored:
            await self._session.execute(
                insert(decisions).values(
                    id=decision.id,
                    lot_id=lot.id,
                    outcome=decision.outcome.value,
                    accepted=decision.accepted,
                    rejected=decision.rejected,
                    verdict=decision.verdict.value,
                    decided_by=decision.decided_by,
                    decided_at=decision.at,
                )
            )
        self._stored[lot.id] = (len(lot.results), decision is not None)

    async def _lots(self, query: Select[Any]) -> list[InspectionLot]:
        rows = (await self._session.execute(query)).all()
        if not rows:
            return []
        ids = [row.id for row in rows]
        used = select(plans).where(plans.c.id.in_({row.plan_id for row in rows}))
        by_plan = {plan.id: plan for plan in await self._plans(used)}
        checked: dict[str, list[Result]] = {lot_id: [] for lot_id in ids}
        found = select(results).where(results.c.lot_id.in_(ids)).order_by(results.c.lot_id, results.c.seq)
        for r in await self._session.execute(found):
            checked[r.lot_id].append(
                Result(r.sample, r.characteristic, r.conforming, r.value, r.defect_code, r.inspector, r.recorded_at)
            )
        decided = {
            d.lot_id: Decision(
                d.id, Outcome(d.outcome), d.accepted, d.rejected, Verdict(d.verdict), d.decided_by, d.decided_at
            )
            for d in await self._session.execute(select(decisions).where(decisions.c.lot_id.in_(ids)))
        }
        for lot_id in ids:
            self._stored[lot_id] = (len(checked[lot_id]), lot_id in decided)
        return [_lot(row, by_plan[row.plan_id], checked[row.id], decided.get(row.id)) for row in rows]


def _plan_values(plan: InspectionPlan) -> dict[str, object]:
    sampling = plan.sampling
    fixed = isinstance(sampling, FixedSample)
    return {
        "item_sku": plan.item_sku,
        "supplier": plan.supplier,
        "version": plan.version,
        "state": plan.state.value,
        "sampling": "FIXED" if fixed else "AQL",
        "sample_size": sampling.size if isinstance(sampling, FixedSample) else None,
        "accept": sampling.accept if isinstance(sampling, FixedSample) else None,
        "level": sampling.level.value if isinstance(sampling, AqlSampling) else None,
        "aql": str(sampling.aql) if isinstance(sampling, AqlSampling) else None,
        "created_by": plan.created_by,
        "created_at": plan.created_at,
        "activated_at": plan.activated_at,
        "superseded_at": plan.superseded_at,
    }


def _characteristic_values(plan_id: str, position: int, checked: Characteristic) -> dict[str, object]:
    values: dict[str, object] = {"plan_id": plan_id, "position": position, "code": checked.code, "name": checked.name}
    if isinstance(checked, Measured):
        return values | {
            "kind": MEASURED,
            "nominal": checked.nominal,
            "lower": checked.lower,
            "upper": checked.upper,
            "unit": checked.unit,
            "defect_codes": None,
        }
    return values | {
        "kind": ATTRIBUTE,
        "nominal": None,
        "lower": None,
        "upper": None,
        "unit": None,
        "defect_codes": "\n".join(checked.defect_codes),
    }


def _characteristic(row: Row[Any]) -> Characteristic:
    if row.kind == MEASURED:
        return Measured(row.code, row.name, row.nominal, row.lower, row.upper, row.unit)
    return Attribute(row.code, row.name, tuple(row.defect_codes.split("\n")))


def _plan(row: Row[Any], checked: Sequence[Characteristic]) -> InspectionPlan:
    sampling = (
        FixedSample(row.sample_size, row.accept)
        if row.sampling == "FIXED"
        else AqlSampling(InspectionLevel(row.level), Decimal(row.aql))
    )
    return InspectionPlan(
        row.id,
        row.item_sku,
        row.supplier,
        row.version,
        PlanState(row.state),
        tuple(checked),
        sampling,
        row.created_by,
        row.created_at,
        row.activated_at,
        row.superseded_at,
    )


def _lot_changes(lot: InspectionLot) -> dict[str, object]:
    """What changes on a lot after it is opened: its hold's outcome and its state."""
    return {"movement_id": lot.movement_id or None, "hold_refusal": lot.hold_refusal, "state": lot.state.value}


def _lot(row: Row[Any], plan: InspectionPlan, checked: list[Result], decision: Decision | None) -> InspectionLot:
    return InspectionLot(
        row.id,
        row.movement_id or "",
        row.item_sku,
        Place(row.warehouse, row.location, row.lot),
        row.quantity,
        DocumentRef(row.document_type, row.document_id, row.document_line),
        row.supplier,
        row.supplier_lot,
        plan,
        SamplingPlan(row.sample_size, row.accept, row.reject, row.every_unit, row.table_letter, row.code_letter),
        row.opened_at,
        results=checked,
        decision=decision,
        opened_by=row.opened_by,
        reason=row.reason,
        hold_refusal=row.hold_refusal,
    )
