"""The quality service's repository on SQLAlchemy: plans with their characteristics,
inspection lots with their plan, results and decision, non-conformance records with their
dispositions, and the genealogy's facts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, and_, delete, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invariant_core.db import dialect_insert, insert_rows
from invariant_core.paging import PageQuery, keyset
from quality.adapters.tables import (
    characteristics,
    decisions,
    dispositions,
    lot_facts,
    lots,
    nonconformances,
    plans,
    results,
    rework_orders,
)
from quality.domain.figures import DecidedLot, NcrRecord
from quality.domain.genealogy import Genealogy, Receipt, Shipment, StockLot, SupplierLot, WorkOrderMovement
from quality.domain.lots import Decision, DocumentRef, InspectionLot, LotState, Outcome, Place, Result, Verdict
from quality.domain.nonconformance import (
    DefectCount,
    Disposition,
    DispositionKind,
    DispositionState,
    NcrState,
    NonConformance,
    defects_found,
)
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
from quality.service.ports import LotFact, ReworkIssue

RECEIPT = "RECEIPT"
WORK_ORDER = "WORK_ORDER"
SHIPMENT = "SHIPMENT"

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

    async def plans_of_items(self, item_skus: Iterable[str]) -> dict[str, list[InspectionPlan]]:
        found: dict[str, list[InspectionPlan]] = {}
        for plan in await self._plans(select(plans).where(plans.c.item_sku.in_(set(item_skus)))):
            found.setdefault(plan.item_sku, []).append(plan)
        return found

    async def list_plans(self, item_sku: str, state: PlanState | None, page: PageQuery) -> list[InspectionPlan]:
        query = select(plans)
        if item_sku:
            query = query.where(plans.c.item_sku == item_sku)
        if state is not None:
            query = query.where(plans.c.state == state.value)
        return await self._plans(keyset(query, [plans.c.item_sku, plans.c.supplier, plans.c.version], page))

    async def next_plan_version(self, item_sku: str, supplier: str) -> int:
        # Two drafts of one item and supplier would otherwise both read the same highest
        # version and the second would break the unique version index; SQLite's single
        # writer already serializes them.
        if self._session.get_bind().dialect.name == "postgresql":
            name = f"quality.plans:{item_sku}:{supplier}".encode()
            key = int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)
            await self._session.execute(select(func.pg_advisory_xact_lock(key)))
        query = select(func.max(plans.c.version)).where(plans.c.item_sku == item_sku, plans.c.supplier == supplier)
        return int(await self._session.scalar(query) or 0) + 1

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

    async def movements_with_lots(self, movement_ids: Sequence[str]) -> list[str]:
        if not movement_ids:
            return []
        found = await self._session.scalars(select(lots.c.movement_id).where(lots.c.movement_id.in_(movement_ids)))
        return [movement_id for movement_id in found if movement_id is not None]

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

    async def add_lots(self, opened: Sequence[InspectionLot]) -> None:
        await insert_rows(self._session, lots, [_lot_values(lot) for lot in opened])
        for lot in opened:
            self._stored[lot.id] = (0, False)

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

    async def cost_decision(self, decision_id: str, standard_cost: Decimal | None) -> None:
        await self._session.execute(
            update(decisions).where(decisions.c.id == decision_id).values(standard_cost=standard_cost)
        )

    # non-conformance

    async def nonconformance(self, ncr_id: str, lock: bool = False) -> NonConformance | None:
        query = select(nonconformances).where(nonconformances.c.id == ncr_id)
        found = await self._ncrs(query.with_for_update() if lock else query)
        return found[0] if found else None

    async def nonconformance_of_decision(self, decision_id: str, lock: bool = False) -> NonConformance | None:
        query = select(nonconformances).where(nonconformances.c.decision_id == decision_id)
        found = await self._ncrs(query.with_for_update() if lock else query)
        return found[0] if found else None

    async def list_nonconformances(
        self, state: NcrState | None, supplier: str, item_sku: str, page: PageQuery
    ) -> list[NonConformance]:
        query = select(nonconformances)
        if state is not None:
            query = query.where(nonconformances.c.state == state.value)
        if supplier:
            query = query.where(nonconformances.c.supplier == supplier)
        if item_sku:
            query = query.where(nonconformances.c.item_sku == item_sku)
        return await self._ncrs(keyset(query, [nonconformances.c.opened_at, nonconformances.c.id], page))

    async def add_nonconformance(self, ncr: NonConformance) -> None:
        await self._session.execute(
            insert(nonconformances).values(
                id=ncr.id,
                decision_id=ncr.decision_id,
                inspection_lot_id=ncr.inspection_lot_id,
                item_sku=ncr.item_sku,
                rejected=ncr.rejected,
                defects="\n".join(f"{d.code} {d.count}" for d in ncr.defects),
                opened_by=ncr.opened_by,
                opened_at=ncr.opened_at,
                **_ncr_changes(ncr),
            )
        )
        await self._store_dispositions(ncr)

    async def save_nonconformance(self, ncr: NonConformance) -> None:
        await self._session.execute(
            update(nonconformances).where(nonconformances.c.id == ncr.id).values(**_ncr_changes(ncr))
        )
        # A record holds a handful of dispositions: they are written again whole.
        await self._session.execute(delete(dispositions).where(dispositions.c.ncr_id == ncr.id))
        await self._store_dispositions(ncr)

    async def _store_dispositions(self, ncr: NonConformance) -> None:
        await insert_rows(
            self._session, dispositions, [_disposition_values(ncr.id, n, d) for n, d in enumerate(ncr.dispositions)]
        )

    async def _ncrs(self, query: Select[Any]) -> list[NonConformance]:
        rows = (await self._session.execute(query)).all()
        if not rows:
            return []
        planned: dict[str, list[Disposition]] = {row.id: [] for row in rows}
        found = select(dispositions).where(dispositions.c.ncr_id.in_(list(planned)))
        for d in await self._session.execute(found.order_by(dispositions.c.ncr_id, dispositions.c.position)):
            planned[d.ncr_id].append(_disposition(d))
        return [_ncr(row, planned[row.id]) for row in rows]

    # rework

    async def rework_ordered(self, work_order: str, ncr_id: str, disposition_id: str) -> ReworkIssue:
        row = self._rework_row(work_order, ncr_id=ncr_id, disposition_id=disposition_id)
        changes = {"ncr_id": row.excluded.ncr_id, "disposition_id": row.excluded.disposition_id}
        return await self._kept_rework(row, changes)

    async def rework_issued(self, work_order: str, quantity: Decimal, movement_id: str, actor: str) -> ReworkIssue:
        row = self._rework_row(work_order, issued=quantity, movement_id=movement_id, actor=actor)
        changes = {
            "issued": rework_orders.c.issued + row.excluded.issued,
            "movement_id": row.excluded.movement_id,
            "actor": row.excluded.actor,
        }
        return await self._kept_rework(row, changes)

    def _rework_row(self, work_order: str, **given: Any) -> Any:
        empty = {"ncr_id": "", "disposition_id": "", "issued": Decimal(0), "movement_id": "", "actor": ""}
        return dialect_insert(self._session, rework_orders).values(work_order=work_order, **{**empty, **given})

    async def _kept_rework(self, row: Any, changes: dict[str, Any]) -> ReworkIssue:
        """The work order's row inserted, or changed, in one statement: on PostgreSQL the second
        of two transactions at it waits for the first to end and changes what it committed."""
        r = rework_orders
        statement = row.on_conflict_do_update(index_elements=[r.c.work_order], set_=changes).returning(
            r.c.work_order, r.c.ncr_id, r.c.disposition_id, r.c.issued, r.c.movement_id, r.c.actor
        )
        kept = (await self._session.execute(statement)).one()
        return ReworkIssue(kept.work_order, kept.ncr_id, kept.disposition_id, kept.issued, kept.movement_id, kept.actor)

    # genealogy

    async def add_lot_facts(self, facts: Sequence[LotFact]) -> None:
        fresh = {fact.fact_id: fact for fact in facts}
        if not fresh:
            return
        known = await self._session.scalars(select(lot_facts.c.fact_id).where(lot_facts.c.fact_id.in_(list(fresh))))
        for fact_id in known:
            del fresh[fact_id]
        await insert_rows(self._session, lot_facts, [vars(fact) for fact in fresh.values()])

    async def genealogy(self, start: StockLot | SupplierLot, forward: bool) -> Genealogy:
        """The facts of every lot a trace from `start` may reach, read in one recursive query:
        lots linked by a work order that issued one and received the other (more than the
        domain's netted walk reaches, never less), then every fact of those lots."""
        f = lot_facts
        if isinstance(start, SupplierLot):
            first: Select[Any] = select(f.c.item_sku, f.c.lot).where(
                f.c.kind == RECEIPT,
                f.c.supplier == start.supplier,
                f.c.supplier_lot == start.number,
                f.c.item_sku == start.item_sku,
            )
        else:
            first = select(
                literal(start.item_sku, f.c.item_sku.type).label("item_sku"),
                literal(start.lot, f.c.lot.type).label("lot"),
            )
        reached = first.cte("reached", recursive=True)
        came, went = f.alias("came"), f.alias("went")
        # Forward: from a lot issued to a work order to what the order received; backward the reverse.
        source, target = (came, went) if forward else (went, came)
        step = (
            select(target.c.item_sku, target.c.lot)
            .select_from(reached)
            .join(
                source,
                and_(
                    source.c.kind == WORK_ORDER,
                    source.c.item_sku == reached.c.item_sku,
                    source.c.lot == reached.c.lot,
                    source.c.quantity < 0 if source is came else source.c.quantity > 0,
                ),
            )
            .join(
                target,
                and_(
                    target.c.kind == WORK_ORDER,
                    target.c.document_id == source.c.document_id,
                    target.c.quantity > 0 if target is went else target.c.quantity < 0,
                ),
            )
        )
        # UNION, not UNION ALL: a lot reached twice (or fed back by rework) is walked once.
        reached = reached.union(step)
        # Only what a trace reads: a trace of thousands of lots spends its time turning rows into values.
        traced = (
            f.c.kind,
            f.c.item_sku,
            f.c.lot,
            f.c.quantity,
            f.c.document_id,
            f.c.document_line,
            f.c.supplier,
            f.c.supplier_lot,
            f.c.customer,
        )
        query = select(*traced).join(reached, and_(f.c.item_sku == reached.c.item_sku, f.c.lot == reached.c.lot))
        return _genealogy((await self._session.execute(query)).all())

    # figures

    async def decided_lots(self, since: datetime, until: datetime) -> tuple[list[DecidedLot], list[NcrRecord]]:
        """The lots decided in [since, until), and the NCRs of any lot opened or closed then."""
        ncr_rows = (
            await self._session.execute(
                select(nonconformances).where(
                    or_(
                        and_(nonconformances.c.opened_at >= since, nonconformances.c.opened_at < until),
                        and_(nonconformances.c.closed_at >= since, nonconformances.c.closed_at < until),
                    )
                )
            )
        ).all()
        query = (
            select(lots, decisions.c.accepted, decisions.c.rejected, decisions.c.decided_at, decisions.c.standard_cost)
            .join(decisions, decisions.c.lot_id == lots.c.id)
            .where(
                or_(
                    and_(decisions.c.decided_at >= since, decisions.c.decided_at < until),
                    lots.c.id.in_({row.inspection_lot_id for row in ncr_rows}),
                )
            )
        )
        rows = (await self._session.execute(query)).all()
        found: dict[str, list[Result]] = {row.id: [] for row in rows}
        if found:
            query = select(results).where(results.c.lot_id.in_(list(found)), results.c.conforming.is_(False))
            for r in await self._session.execute(query):
                found[r.lot_id].append(
                    Result(r.sample, r.characteristic, r.conforming, r.value, r.defect_code, r.inspector, r.recorded_at)
                )
        decided_lots = [
            DecidedLot(
                inspection_lot_id=row.id,
                item_sku=row.item_sku,
                lot=row.lot,
                supplier=row.supplier,
                work_order=row.document_id if row.document_type == WORK_ORDER else "",
                operator=row.opened_by if row.document_type == WORK_ORDER else "",
                accepted=row.accepted,
                rejected=row.rejected,
                defects=defects_found(found[row.id]),
                standard_cost=row.standard_cost or Decimal(0),
                decided_at=row.decided_at,
            )
            for row in rows
        ]
        ncrs = [NcrRecord(row.id, row.inspection_lot_id, row.opened_at, row.closed_at) for row in ncr_rows]
        return decided_lots, ncrs

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


def _ncr_changes(ncr: NonConformance) -> dict[str, object]:
    return {
        "supplier": ncr.supplier,
        "warehouse": ncr.place.warehouse,
        "location": ncr.place.location,
        "lot": ncr.place.lot,
        "located": ncr.located,
        "state": ncr.state.value,
        "photos": "\n".join(ncr.photos),
        "root_cause": ncr.root_cause,
        "closed_by": ncr.closed_by,
        "closed_at": ncr.closed_at,
    }


def _disposition_values(ncr_id: str, position: int, d: Disposition) -> dict[str, object]:
    return {
        "id": d.id,
        "ncr_id": ncr_id,
        "position": position,
        "kind": d.kind.value,
        "quantity": d.quantity,
        "state": d.state.value,
        "planned_by": d.planned_by,
        "planned_at": d.planned_at,
        "approved_by": d.approved_by,
        "approved_at": d.approved_at,
        "requested": d.requested,
        "refusal": d.refusal,
        "movement_id": d.movement_id,
        "work_order_id": d.work_order_id,
        "carried_out_by": d.carried_out_by,
        "carried_out_at": d.carried_out_at,
        "withdrawn_by": d.withdrawn_by,
        "withdrawn_at": d.withdrawn_at,
    }


def _disposition(row: Row[Any]) -> Disposition:
    return Disposition(
        id=row.id,
        kind=DispositionKind(row.kind),
        quantity=row.quantity,
        state=DispositionState(row.state),
        planned_by=row.planned_by,
        planned_at=row.planned_at,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
        movement_id=row.movement_id,
        work_order_id=row.work_order_id,
        carried_out_by=row.carried_out_by,
        carried_out_at=row.carried_out_at,
        withdrawn_by=row.withdrawn_by,
        withdrawn_at=row.withdrawn_at,
        requested=row.requested,
        refusal=row.refusal,
    )


def _ncr(row: Row[Any], planned: list[Disposition]) -> NonConformance:
    defects = tuple(
        DefectCount(code, int(count)) for code, count in (line.rsplit(" ", 1) for line in row.defects.splitlines())
    )
    return NonConformance(
        id=row.id,
        decision_id=row.decision_id,
        inspection_lot_id=row.inspection_lot_id,
        item_sku=row.item_sku,
        supplier=row.supplier,
        place=Place(row.warehouse, row.location, row.lot),
        rejected=row.rejected,
        defects=defects,
        opened_by=row.opened_by,
        opened_at=row.opened_at,
        state=NcrState(row.state),
        located=row.located,
        photos=row.photos.splitlines(),
        root_cause=row.root_cause,
        dispositions=planned,
        closed_by=row.closed_by,
        closed_at=row.closed_at,
    )


def _genealogy(rows: Iterable[Sequence[Any]]) -> Genealogy:
    received, moved, shipped = [], [], []
    # Unpacked, not read by name: a trace turns thousands of rows into values.
    for kind, item_sku, number, quantity, document_id, document_line, supplier, supplier_lot, customer in rows:
        lot = StockLot(item_sku, number)
        if kind == RECEIPT:
            by_supplier = SupplierLot(supplier, supplier_lot or number, item_sku)
            received.append(Receipt(by_supplier, lot, document_id, document_line, quantity))
        elif kind == WORK_ORDER:
            moved.append(WorkOrderMovement(document_id, lot, quantity))
        else:
            shipped.append(Shipment(lot, document_id, customer, quantity))
    return Genealogy(received, moved, shipped)


def _lot_values(lot: InspectionLot) -> dict[str, Any]:
    sampling = lot.sampling
    return {
        "id": lot.id,
        "item_sku": lot.item_sku,
        "warehouse": lot.place.warehouse,
        "location": lot.place.location,
        "lot": lot.place.lot,
        "quantity": lot.quantity,
        "document_type": lot.document.type,
        "document_id": lot.document.id,
        "document_line": lot.document.line,
        "supplier": lot.supplier,
        "supplier_lot": lot.supplier_lot,
        "plan_id": lot.plan.id,
        "sample_size": sampling.sample_size,
        "accept": sampling.accept,
        "reject": sampling.reject,
        "every_unit": sampling.every_unit,
        "table_letter": sampling.table_letter,
        "code_letter": sampling.code_letter,
        "opened_by": lot.opened_by,
        "opened_at": lot.opened_at,
        "reason": lot.reason,
        **_lot_changes(lot),
    }
